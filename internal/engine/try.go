package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/forklore/forklore/internal/course"

	"github.com/forklore/forklore/internal/mptrace"
)

// Trial is a program made ready to be run by hand the way a grading run
// starts it: built, in a work folder holding the files the rules give
// every run, with the environment a run gets.
type Trial struct {
	Dir   string   // the work folder, with the rules' files in it
	Files []string // their names, relative to Dir
	Argv  []string // the built program and the first run command's arguments
	Env   []string // the environment of a run (without the trace)
	// Port is the loopback port given as PORT (with HOST=127.0.0.1) when
	// the rules serve the program; 0 when they run it.
	Port int
	// Compile is set, and the rest empty, when the program does not build.
	Compile *CompileError
}

// PrepareTrial builds target t into work and writes the rules' files
// there. seed, if not zero, is given as MP_PERTURB to shake the schedule
// as a grading run does; zero leaves mp's schedule alone. The caller
// starts Argv with Env in Dir and removes work when done with it.
func PrepareTrial(ctx context.Context, c *course.Course, t course.Target, work string, seed uint64) (*Trial, error) {
	pr, err := Prepare(c, t)
	if err != nil {
		return nil, err
	}
	script := pr.script
	tr := &Trial{Dir: filepath.Join(work, "run")}
	bin := filepath.Join(work, "prog")
	ce, err := build(ctx, c.Root, t.Dir, pr.files, "", false, bin)
	if err != nil {
		return nil, err
	}
	if ce != nil {
		tr.Compile = ce
		return tr, nil
	}
	if err := os.MkdirAll(filepath.Join(tr.Dir, ".tmp"), 0o777); err != nil {
		return nil, err
	}
	for _, f := range script.Files {
		p := filepath.Join(tr.Dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
			return nil, err
		}
		if err := os.WriteFile(p, f.Data, 0o666); err != nil {
			return nil, err
		}
		tr.Files = append(tr.Files, f.Name)
	}
	tr.Argv = []string{bin}
	for _, k := range []string{"PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TERM"} {
		if v, ok := os.LookupEnv(k); ok {
			tr.Env = append(tr.Env, k+"="+v)
		}
	}
	tr.Env = append(tr.Env, "TMPDIR="+filepath.Join(tr.Dir, ".tmp"), "GOTRACEBACK=single")
	if seed != 0 {
		tr.Env = append(tr.Env, mptrace.EnvPerturb+"="+strconv.FormatUint(seed, 10))
	}
	// The environment and arguments of the rules' first run or serve.
stmts:
	for _, st := range script.Stmts {
		cmd, _ := lookup(st.Name)
		cl, err := cmd.parse(&st, st.Args)
		if err != nil {
			return nil, &ScriptError{st.Pos, err.Error()}
		}
		switch st.Name {
		case "env":
			tr.Env = append(tr.Env, cl.args...)
			continue
		case "run":
			tr.Argv = append(tr.Argv, cl.args...)
		case "serve":
			port, release, err := freePort()
			if err != nil {
				return nil, fmt.Errorf("cannot find a free port for the server: %w", err)
			}
			release()
			tr.Port = port
			tr.Env = append(tr.Env, "PORT="+strconv.Itoa(port), "HOST=127.0.0.1")
		default:
			continue
		}
		break stmts
	}
	return tr, nil
}
