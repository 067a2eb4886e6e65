package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/forklore/forklore/internal/course"
	"github.com/forklore/forklore/internal/engine"
	"github.com/forklore/forklore/internal/i18n"
	"github.com/forklore/forklore/internal/study"
)

// session is what every subcommand starts from: the course found from the
// working directory, the learner's progress in it and the language.
type session struct {
	c              *course.Course
	book           *study.Book
	lang           string
	cwd            string
	stdout, stderr io.Writer
}

// newFlags returns a subcommand's flag set with -lang, whose -h prints
// usage (a synopsis line, then what it does) to stdout.
func newFlags(name, usage string, lang *string, stdout, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(lang, "lang", "", "language of the messages: en or zh (default: from LC_ALL, LC_MESSAGES or LANG)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fmt.Fprintln(fs.Output(), "\nFlags:")
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args; it returns -1 to go on, else the exit code: 0
// for -h (help printed to stdout), 2 for a bad flag.
func parseFlags(fs *flag.FlagSet, args []string, stdout io.Writer) int {
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			fs.SetOutput(stdout)
			fs.Usage()
			return 0
		}
		if a == "--" {
			break
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	return -1
}

// exerciseCmd is the start of every subcommand that takes one exercise:
// flags (with -lang, and those flags adds), the session, and the
// exercise named by the first argument; more allows arguments after it.
// A code of 0 or more means the command is over, with that exit code.
func exerciseCmd(name, usage string, args []string, more bool, stdout, stderr io.Writer, flags func(*flag.FlagSet)) (*session, *course.Exercise, []string, int) {
	var lang string
	fs := newFlags(name, usage, &lang, stdout, stderr)
	if flags != nil {
		flags(fs)
	}
	if code := parseFlags(fs, args, stdout); code >= 0 {
		return nil, nil, nil, code
	}
	s, code := openSession(lang, stdout, stderr)
	if s == nil {
		return nil, nil, nil, code
	}
	if fs.NArg() < 1 || fs.NArg() > 1 && !more {
		return nil, nil, nil, s.fail(i18n.T(s.lang, "%s takes one exercise, as in `go run ./cmd/grade %s 05`", name, name))
	}
	e, err := s.exercise(fs.Arg(0))
	if err != nil {
		return nil, nil, nil, s.fail(err.Error())
	}
	return s, e, fs.Args()[1:], -1
}

// openSession finds the course from the working directory. On failure it
// has printed why and returns the exit code.
func openSession(langFlag string, stdout, stderr io.Writer) (*session, int) {
	lang, err := i18n.Detect(langFlag, os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "grade: %v\n", err)
		return nil, 2
	}
	s := &session{lang: lang, stdout: stdout, stderr: stderr}
	if s.cwd, err = os.Getwd(); err != nil {
		return nil, s.fail(i18n.T(lang, "cannot tell the working directory: %v", err))
	}
	root, err := course.FindRoot(s.cwd)
	if err != nil {
		return nil, s.fail(err.Error())
	}
	c, err := course.Load(root)
	if c == nil {
		return nil, s.fail(err.Error())
	}
	s.c, s.book = c, study.Open(c)
	return s, 0
}

// fail prints "grade: msg" to stderr and returns 2, the exit code of bad
// usage or input.
func (s *session) fail(msg string) int {
	fmt.Fprintf(s.stderr, "grade: %s\n", msg)
	return 2
}

// exercise resolves one argument to one learner exercise.
func (s *session) exercise(arg string) (*course.Exercise, error) {
	ts, err := s.c.Resolve(s.cwd, []string{arg})
	if err != nil {
		var ue *course.UnknownError
		if errors.As(err, &ue) {
			if len(ue.Suggestions) > 0 {
				return nil, errors.New(i18n.T(s.lang, "no exercise %q; did you mean %s? (`go run ./cmd/grade list` shows every exercise)", ue.Arg, strings.Join(ue.Suggestions, " / ")))
			}
			return nil, errors.New(i18n.T(s.lang, "no exercise %q (`go run ./cmd/grade list` shows every exercise)", ue.Arg))
		}
		return nil, err
	}
	if len(ts) != 1 || ts[0].Kind != course.Learner {
		return nil, errors.New(i18n.T(s.lang, "%q names %d programs; name one exercise, as in 05 or 05-isolation", arg, len(ts)))
	}
	return ts[0].Exercise, nil
}

// readme returns the exercise's README in the session's language.
func (s *session) readme(e *course.Exercise) string {
	if s.lang == i18n.Zh {
		return e.Dir + "/README.zh.md"
	}
	return e.Dir + "/README.md"
}

// short is how the learner names an exercise on the command line: its
// number, as in 05.
func short(e *course.Exercise) string { return fmt.Sprintf("%02d", e.Number) }

// runsOf returns how many runs grading pr makes with runs per command:
// one set per run or serve command of its rules.
func runsOf(pr *engine.Prepared, runs int) int {
	if runs == 0 {
		runs = 20
	}
	return pr.Commands() * runs
}

// gradeLearner grades the learner's program that pr was prepared for
// (nil: prepare e's) with p, showing progress on prog, and remembers the
// verdict when p is the default grading.
func (s *session) gradeLearner(ctx context.Context, pr *engine.Prepared, p engine.Params, prog *progress) (*engine.Verdict, error) {
	e := pr.Target().Exercise
	key, keyErr := s.book.Key(e)
	if prog != nil {
		prog.begin(e.Name, runsOf(pr, p.Runs))
		p.Progress = prog.update
		defer prog.end()
	}
	v, err := pr.Grade(ctx, p)
	if err == nil && keyErr == nil && defaultGrading(p) {
		// Progress that cannot be kept is not a reason to fail grading.
		_ = s.book.Remember(e, study.FromVerdict(key, v))
	}
	return v, err
}

// gradeExercise prepares and grades the learner's program of e.
func (s *session) gradeExercise(ctx context.Context, e *course.Exercise, p engine.Params, prog *progress) (*engine.Verdict, error) {
	pr, err := engine.Prepare(s.c, course.Target{Exercise: e})
	if err != nil {
		return nil, err
	}
	return s.gradeLearner(ctx, pr, p, prog)
}

// defaultGrading reports whether p grades as the home screen, list and
// watch assume: the learner's program, built, with the default runs and
// time limits, so that its verdict may stand for them.
func defaultGrading(p engine.Params) bool {
	return p.Cmd == nil && (p.Runs == 0 || p.Runs == 20) && p.Timeout == 0 && p.Source == ""
}

// watchParallel is how many runs go at once in the learner's loop: the
// programs mostly sleep, so more than one per CPU gives the verdict
// sooner without crowding the machine.
func watchParallel() int { return 3 * runtime.NumCPU() }

// progress shows, on a terminal, which exercise is being graded and how
// many of its runs are done, on one line that it rewrites; on anything
// else it shows nothing.
type progress struct {
	w     io.Writer
	lang  string
	mu    sync.Mutex
	name  string
	total int
	shown bool
	last  time.Time
}

// newProgress returns a progress display on w, or nil when w is not a
// terminal.
func newProgress(w io.Writer, lang string) *progress {
	if !isTerminal(w) {
		return nil
	}
	return &progress{w: w, lang: lang}
}

func (p *progress) begin(name string, total int) {
	p.mu.Lock()
	p.name, p.total = name, total
	p.mu.Unlock()
	p.update(0)
}

// update is engine.Params.Progress: it may be called from several
// goroutines at once.
func (p *progress) update(done int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if done > 0 && done < p.total && time.Since(p.last) < 50*time.Millisecond {
		return
	}
	p.last = time.Now()
	var line string
	if done == 0 {
		line = i18n.T(p.lang, "grading %s: building…", p.name)
	} else {
		line = i18n.T(p.lang, "grading %s: run %d of %d", p.name, done, p.total)
	}
	fmt.Fprintf(p.w, "\r\x1b[K%s", line)
	p.shown = true
}

// end erases the progress line.
func (p *progress) end() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.shown = false
	}
}

// isTerminal reports whether w is a terminal.
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
