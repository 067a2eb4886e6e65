package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"

	"github.com/forklore/forklore/internal/course"
	"github.com/forklore/forklore/internal/engine"
	"github.com/forklore/forklore/internal/i18n"
)

func init() { subcommands["try"] = tryCmd }

const tryUsage = `usage: grade try [-seed S] [-solution] [-lang en|zh] EXERCISE [-- ARGS...]

try builds your program and runs it once by hand, the way a grading run
starts it: in a fresh folder holding the files the rules give every run
(tickets.json for 09), with the environment a run gets (PORT and HOST for
a server: talk to it with nc, stop it with Ctrl-C). mp's schedule is left
alone unless -seed S shakes it as grading run S did. The folder is kept
and named, so that you can look at what the program left there.
`

func tryCmd(args []string, stdout, stderr io.Writer) int {
	var seed *uint64
	var sol *bool
	s, e, extra, code := exerciseCmd("try", tryUsage, args, true, stdout, stderr, func(fs *flag.FlagSet) {
		seed = fs.Uint64("seed", 0, "shake mp's schedule with this seed (MP_PERTURB), as a grading run does")
		sol = fs.Bool("solution", false, "run the reference solution instead of your program")
	})
	if code >= 0 {
		return code
	}
	if len(extra) > 0 && extra[0] == "--" {
		extra = extra[1:]
	}
	t := course.Target{Exercise: e}
	if *sol {
		t.Kind = course.Solution
	}
	work, err := os.MkdirTemp("", "grade-try-"+e.Name+"-")
	if err != nil {
		return s.fail(err.Error())
	}
	tr, err := engine.PrepareTrial(context.Background(), s.c, t, work, *seed)
	if err != nil {
		os.RemoveAll(work)
		return s.fail(err.Error())
	}
	if tr.Compile != nil {
		os.RemoveAll(work)
		fmt.Fprintln(stdout, i18n.T(s.lang, "%s does not compile:", t.Source()))
		fmt.Fprintln(stdout, tr.Compile.Output)
		fmt.Fprintln(stdout, i18n.T(s.lang, "next: fix %s:%d, then run `%s` again", tr.Compile.File, tr.Compile.Line, "go run ./cmd/grade try "+short(e)))
		return 1
	}
	argv := append(tr.Argv, extra...)
	files := i18n.T(s.lang, "none")
	if len(tr.Files) > 0 {
		files = strings.Join(tr.Files, ", ")
	}
	fmt.Fprintln(stderr, i18n.T(s.lang, "grade try: running %s in %s (its files: %s)", t.Source(), tr.Dir, files))
	if tr.Port != 0 {
		fmt.Fprintln(stderr, i18n.T(s.lang, "grade try: the server gets HOST=127.0.0.1 PORT=%d; in another terminal: nc 127.0.0.1 %d; Ctrl-C stops it", tr.Port, tr.Port))
	}
	fmt.Fprintln(stderr, "----")
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir, cmd.Env = tr.Dir, tr.Env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr
	// Ctrl-C is the program's to handle: the terminal sends it to the
	// program too, and try only reports how it ended.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		for sig := range sigs {
			if cmd.Process != nil && sig == syscall.SIGTERM {
				_ = cmd.Process.Signal(sig)
			}
		}
	}()
	err = cmd.Run()
	fmt.Fprintln(stderr, "----")
	var ee *exec.ExitError
	switch {
	case err == nil:
		fmt.Fprintln(stderr, i18n.T(s.lang, "grade try: the program exited with code 0; its folder is kept: %s", tr.Dir))
		return 0
	case errors.As(err, &ee):
		fmt.Fprintln(stderr, i18n.T(s.lang, "grade try: the program ended: %v; its folder is kept: %s", ee.ProcessState, tr.Dir))
		return 1
	}
	return s.fail(err.Error())
}
