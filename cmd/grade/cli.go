package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/forklore/forklore"
	"github.com/forklore/forklore/internal/course"
	"github.com/forklore/forklore/internal/engine"
	"github.com/forklore/forklore/internal/i18n"
	"github.com/forklore/forklore/internal/report"
	"github.com/forklore/forklore/internal/study"
)

const usageText = `usage: grade [flags] [exercises]
       grade list | watch | hint | reset | solution | try  (each with -h)

With no exercise and no flag but -lang, grade shows where you stand: how
many exercises are done, the one to do now, and what to do next.

With exercises, grade builds each, runs it many times with a perturbed
schedule, and checks its rules in every run. Exercises are named as
folders (./exercises/01-start-target), by number (1) or name
(01-start-target); ./exercises/... grades them all, and a flag with no
exercise (as grade -json) too. A stub you have not changed is reported as
not started without being graded, unless it is the one exercise named.

Subcommands:
  list               every exercise, its chapter and status
  watch [EXERCISE]   regrade on every save; q or Ctrl-C stops
  hint EXERCISE      one more hint each time
  reset EXERCISE     restore the stub (your file is backed up first)
  solution EXERCISE  the reference solution beside yours, after a pass
  try EXERCISE       run your program by hand, as the grader runs it

Exit codes: 0 all pass, 1 some fail, 2 bad usage or input (go run turns
every non-zero code into 1: build the grader to see 2, as in
go build -o grade ./cmd/grade && ./grade ./exercises/...).

Flags:
`

// options are the command line's flags.
type options struct {
	runs      int
	seed      uint64
	timeout   time.Duration
	cmd       string
	cmdSet    bool
	json      bool
	junit     string
	solutions bool
	verbose   bool
	rules     string
	parallel  int
	lang      string
}

// exitCode for a grading stopped by a signal, as a shell reports it.
func signalCode(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 130
}

// subcommands are grade's other verbs, as in `grade list`. Each lives in
// a file of its own and returns the exit code.
var subcommands = map[string]func(args []string, stdout, stderr io.Writer) int{}

// run is the grade command: it returns the exit code: 0 all pass, 1 some
// fail, 2 bad usage or input, 128+N when stopped by signal N.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		if sub, ok := subcommands[args[0]]; ok {
			return sub(args[1:], stdout, stderr)
		}
	}
	if home, lang := isHome(args); home {
		return homeCmd(lang, stdout, stderr)
	}
	return gradeCmd(args, stdout, stderr)
}

// isHome reports whether args ask for the home screen: nothing, or only
// -lang; and the language asked for.
func isHome(args []string) (bool, string) {
	switch {
	case len(args) == 0:
		return true, ""
	case len(args) == 2 && (args[0] == "-lang" || args[0] == "--lang"):
		return true, args[1]
	case len(args) == 1 && (strings.HasPrefix(args[0], "-lang=") || strings.HasPrefix(args[0], "--lang=")):
		_, v, _ := strings.Cut(args[0], "=")
		return true, v
	}
	return false, ""
}

// gradeCmd grades the exercises named on the command line.
func gradeCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("grade", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.IntVar(&o.runs, "n", 20, fmt.Sprintf("runs of the program per run or serve command of the rules (1 to %d)", engine.MaxRuns))
	fs.Uint64Var(&o.seed, "seed", 0, "base seed: run 1 uses it as MP_PERTURB (0: random); replays mp's perturbation, not the OS's scheduling")
	fs.DurationVar(&o.timeout, "timeout", 0, "time limit of each run, replacing the exercise's (higher or lower); default: the exercise's limit (3s for most), scaled up when the machine is busy")
	fs.Func("cmd", "run this command instead of building the exercise (quoted words allowed), as in -cmd 'python3 prog.py'", func(s string) error {
		o.cmd, o.cmdSet = s, true
		return nil
	})
	fs.BoolVar(&o.json, "json", false, "print results as JSON (see docs/grade-json.md)")
	fs.StringVar(&o.junit, "junit", "", "also write results as JUnit XML to `file`")
	fs.BoolVar(&o.solutions, "solutions", false, "grade the reference solutions instead of your programs")
	fs.BoolVar(&o.verbose, "v", false, "show every check")
	fs.StringVar(&o.rules, "rules", "", "take the rules and instructor files from `DIR` (a trusted checkout of the course) or from the ones built into this grader (builtin), never from the course graded (for teachers; see docs/trust.md)")
	teach := teacherFlags(fs)
	pics := timelineFlags(fs)
	fs.IntVar(&o.parallel, "j", 0, "runs at once (default: two per CPU)")
	fs.StringVar(&o.lang, "lang", "", "language of the messages: en or zh (default: from LC_ALL, LC_MESSAGES or LANG)")
	help := false
	fs.Usage = func() {
		w := stderr
		if help {
			w = stdout
		}
		fmt.Fprint(w, usageText)
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(stderr)
	}
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			help = true
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "grade: "+format+"\n", a...)
		return 2
	}
	if o.runs < 1 || o.runs > engine.MaxRuns {
		return fail("-n must be between 1 and %d, not %d; see grade -h", engine.MaxRuns, o.runs)
	}
	if o.timeout < 0 {
		return fail("-timeout must be positive, as in -timeout 10s")
	}
	lang, err := i18n.Detect(o.lang, os.Getenv)
	if err != nil {
		return fail("%v", err)
	}
	cwd, err := os.Getwd()
	if err != nil {
		return fail("%v", err)
	}
	p := engine.Params{Runs: o.runs, Seed: o.seed, Timeout: o.timeout, Parallel: o.parallel}
	for p.Seed == 0 {
		p.Seed = rand.Uint64()
	}
	if o.cmdSet {
		if p.Cmd, err = splitCommand(o.cmd); err != nil {
			return fail("%v", err)
		}
		for i, w := range p.Cmd {
			// Runs start in their own work directory: keep files named
			// relative to here reachable.
			if _, err := os.Stat(w); err == nil && !filepath.IsAbs(w) && (i > 0 || strings.Contains(w, "/")) {
				p.Cmd[i], _ = filepath.Abs(w)
			}
		}
	}
	root, err := course.FindRoot(cwd)
	if err != nil {
		return fail("%v", err)
	}
	c, err := loadCourse(root, o.rules)
	if c == nil {
		return fail("%v", err)
	}
	targets, err := c.Resolve(cwd, fs.Args())
	if err != nil {
		return fail("%v", err)
	}
	if o.solutions {
		for i := range targets {
			if targets[i].Kind == course.Learner {
				targets[i].Kind = course.Solution
			}
		}
	}
	if teach.active() {
		return teach.run(c, targets, p, o, stdout, stderr)
	}
	// Every target's rules are read before any program runs, so that a
	// program cannot change the rules of a target graded after it.
	prepared := make([]*engine.Prepared, len(targets))
	prepErrs := make([]error, len(targets))
	for i, t := range targets {
		prepared[i], prepErrs[i] = engine.Prepare(c, t)
	}
	// Output files are checked before grading, not after it.
	var junit *os.File
	if o.junit != "" {
		if junit, err = os.Create(o.junit); err != nil {
			return fail("cannot write the -junit file: %v", err)
		}
		defer junit.Close()
	}
	if err := pics.prepare(cwd, root, targets, &p); err != nil {
		return fail("%v", err)
	}
	defer pics.close()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	var caught os.Signal
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	go func() {
		if s, ok := <-sigs; ok {
			caught = s
		}
	}()

	text := &report.Text{W: stdout, Lang: lang, Colour: colour(stdout), Verbose: o.verbose}
	var pr *progress
	if !o.json {
		pr = newProgress(stdout, lang)
	}
	s := &session{c: c, book: study.Open(c), lang: lang, cwd: cwd, stdout: stdout, stderr: stderr}
	var results []report.Result
	for i, t := range targets {
		if t.Kind == course.Learner && len(targets) > 1 && !o.cmdSet {
			if untouched, _ := c.Untouched(t.Exercise); untouched {
				r := report.Result{Target: t, NotStarted: true}
				results = append(results, r)
				if !o.json {
					text.Line(&r)
				}
				continue
			}
		}
		v, err := (*engine.Verdict)(nil), prepErrs[i]
		if err == nil {
			if t.Kind == course.Learner && !o.cmdSet && o.rules == "" {
				v, err = s.gradeLearner(ctx, prepared[i], p, pr)
			} else {
				if pr != nil {
					pr.begin(t.Label(), runsOf(prepared[i], p.Runs))
					p.Progress = pr.update
				}
				v, err = prepared[i].Grade(ctx, p)
				if pr != nil {
					pr.end()
				}
			}
		}
		if ctx.Err() != nil {
			fmt.Fprintf(stderr, "grade: stopped; every program it started was killed and its files removed\n")
			if caught == nil {
				return 130
			}
			return signalCode(caught)
		}
		r := report.Result{Target: t, Verdict: v, Err: err}
		pics.write(&r, stderr)
		results = append(results, r)
		if !o.json {
			text.Line(&r)
			if t.Kind == course.Learner && len(targets) == 1 && !o.cmdSet && r.Status() != engine.Pass {
				if untouched, _ := c.Untouched(t.Exercise); untouched {
					fmt.Fprintf(stdout, "    %s\n", i18n.T(lang, "this is the stub as shipped: it fails until you complete it, as expected"))
				}
			}
		}
	}
	if o.json {
		report.JSON(stdout, results, p.Seed, o.runs, report.Scoring{})
	} else {
		text.Explain(results)
	}
	if os.Getenv("GITHUB_ACTIONS") == "true" {
		report.GitHub(stdout, results)
	}
	if junit != nil {
		if err := report.JUnit(junit, results); err != nil {
			return fail("cannot write the -junit file: %v", err)
		}
	}
	return report.ExitCode(results)
}

// loadCourse loads the course at root, with its rules from where -rules
// says: the course's own, a trusted checkout, or the grader's built-in copy.
func loadCourse(root, rules string) (*course.Course, error) {
	switch rules {
	case "":
		return course.Load(root)
	case "builtin":
		return course.LoadRules(root, forklore.Rules(), "the grader's built-in rules")
	}
	dir, err := filepath.Abs(filepath.Join(rules, "testdata", "scripts"))
	if err != nil {
		return nil, err
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("-rules %s: no testdata/scripts there; give the root of a trusted checkout of the course, or builtin", rules)
	}
	return course.LoadRules(root, os.DirFS(dir), dir)
}

// colour reports whether w is a terminal that wants colour.
func colour(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
