package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/forklore/forklore/internal/course"
	"github.com/rogpeppe/go-internal/testscript"
)

// Testscript lets a rules file run the standard way, through
// testscript.Run, as an instructor runs any testscript file: it returns
// the rules' commands for testscript.Params.Cmds, each grading the program
// at bin (the target, built) and stopping the script with ts.Fatalf on a
// broken rule. Grade is the engine's own way to run the same file; this
// is for go test.
func Testscript(c *course.Course, t course.Target, bin string, p Params) map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	p = p.withDefaults()
	var mu sync.Mutex
	states := map[*testscript.TestScript]*state{}
	stateOf := func(ts *testscript.TestScript) (*state, error) {
		mu.Lock()
		defer mu.Unlock()
		if s, ok := states[ts]; ok {
			return s, nil
		}
		pr, err := Prepare(c, t)
		if err != nil {
			return nil, err
		}
		script := pr.script
		work := filepath.Join(ts.Getenv("WORK"), ".grade")
		if err := os.MkdirAll(work, 0o777); err != nil {
			return nil, err
		}
		g := &grading{ctx: context.Background(), p: p, c: c, t: t, program: []string{bin}, built: true,
			race: t.Needs(course.ChannelRace), work: work, script: script, files: pr.files}
		s := &state{g: g}
		states[ts] = s
		return s, nil
	}
	cmds := map[string]func(*testscript.TestScript, bool, []string){}
	for _, cmd := range commands {
		cmds[cmd.name] = func(ts *testscript.TestScript, neg bool, args []string) {
			s, err := stateOf(ts)
			ts.Check(err)
			st := &Stmt{Pos: Pos{File: t.Rules}, Neg: neg, Name: cmd.name, Args: args}
			cl, err := cmd.parse(st, args)
			ts.Check(err)
			step, err := cmd.prepare(cl)
			ts.Check(err)
			n := len(s.checks)
			ts.Check(step(s))
			for _, ch := range s.checks[n:] {
				if ch.Failed() {
					ts.Fatalf("%s: %s", ch.Rule, describeRun(ch))
				}
			}
		}
	}
	return cmds
}

func describeRun(c Check) string {
	if c.Run == 0 {
		return c.Why
	}
	return fmt.Sprintf("run %d (seed %d): %s", c.Run, c.Seed, c.Why)
}
