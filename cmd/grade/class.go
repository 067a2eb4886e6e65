package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/forklore/forklore/internal/class"
	"github.com/forklore/forklore/internal/course"
	"github.com/forklore/forklore/internal/engine"
	"github.com/forklore/forklore/internal/i18n"
	"github.com/forklore/forklore/internal/report"
)

// teacher holds the flags for teachers: grading students' submissions
// with the grader's own rules, a class at a time or in shards, and the
// files Gradescope and GitHub Classroom read (docs/teaching.md).
type teacher struct {
	submissions string
	submission  string
	out         string
	shard       string
	jobs        int
	gradescope  string
	visibility  string
	classroom   bool
	partial     bool
}

// teacherFlags registers the teacher's flags on fs.
func teacherFlags(fs *flag.FlagSet) *teacher {
	t := &teacher{}
	fs.StringVar(&t.submissions, "submissions", "", "grade a class: every folder of `dir` is one student's checkout or exercises/ folder, graded with this checkout's rules into a gradebook (see -out)")
	fs.StringVar(&t.submission, "submission", "", "grade one student's checkout or exercises/ folder in `dir` with this checkout's rules")
	fs.StringVar(&t.out, "out", "grades", "with -submissions: the `folder` for the gradebook (CSV and JSON), per-student JSON and JUnit, and results.json")
	fs.StringVar(&t.shard, "shard", "", "with -submissions: grade shard `K/N` of the class (the same -seed in every shard); join the shards with grade merge")
	fs.IntVar(&t.jobs, "p", 0, "with -submissions: how many exercises to grade at once (0: one per CPU)")
	fs.StringVar(&t.gradescope, "gradescope", "", "also write Gradescope's results.json to `file`")
	fs.StringVar(&t.visibility, "gradescope-visibility", "", "the results' visibility in Gradescope: visible, after_published, after_due_date or hidden (an exercise.json \"visibility\" overrides it for that exercise)")
	fs.BoolVar(&t.classroom, "classroom", false, "also give GitHub Classroom's autograding reporter its result: the step output result= (written to $GITHUB_OUTPUT, else printed; see docs/teaching.md)")
	fs.BoolVar(&t.partial, "partial-credit", false, "share an exercise's points among its rules by -weight instead of all or nothing (off by default: see docs/teaching.md)")
	return t
}

// active reports whether any teacher's flag was given.
func (t *teacher) active() bool {
	return t.submissions != "" || t.submission != "" || t.shard != "" || t.gradescope != "" || t.visibility != "" || t.classroom || t.partial
}

// run grades as the teacher's flags say and returns the exit code.
func (t *teacher) run(c *course.Course, targets []course.Target, p engine.Params, o options, stdout, stderr io.Writer) int {
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "grade: "+format+"\n", a...)
		return 2
	}
	if t.visibility != "" && !slices.Contains(course.Visibilities, t.visibility) {
		return fail("-gradescope-visibility %q: use one of %s", t.visibility, strings.Join(course.Visibilities, ", "))
	}
	if t.visibility != "" && t.gradescope == "" {
		return fail("-gradescope-visibility needs -gradescope FILE")
	}
	var sh class.Shard
	if t.shard != "" {
		var err error
		if sh, err = class.ParseShard(t.shard); err != nil {
			return fail("-shard: %v", strings.TrimPrefix(err.Error(), "class: "))
		}
		if t.submissions == "" {
			return fail("-shard splits a class: give -submissions DIR too")
		}
		if o.seed == 0 && !sh.Whole() {
			return fail("-shard needs -seed N, the same in every shard, so that the shards are one grading (in CI, the run's id will do)")
		}
	}
	if t.submissions != "" || t.submission != "" {
		if o.cmdSet || o.solutions {
			return fail("-submission and -submissions grade students' programs; they do not go with -cmd or -solutions")
		}
		for _, tg := range targets {
			if tg.Kind != course.Learner {
				return fail("%s is not an exercise: with -submission(s), name exercises (as ./exercises/... or 01-start-target)", tg.Arg())
			}
		}
	}
	ctx, stop, code := signalContext()
	defer stop()
	if t.submissions != "" {
		if t.submission != "" || t.gradescope != "" || t.classroom || o.json || o.junit != "" {
			return fail("-submissions writes a gradebook and per-student reports into -out; -submission, -gradescope, -classroom, -json and -junit are for one student")
		}
		return t.class(ctx, code, c, targets, p, stdout, stderr)
	}
	return t.one(ctx, code, c, targets, p, o, stdout, stderr)
}

// signalContext returns a context cancelled by SIGINT, SIGTERM or SIGHUP,
// and the exit code a shell would report for the signal that came.
func signalContext() (context.Context, func(), func() int) {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	var caught os.Signal
	done := make(chan struct{})
	go func() {
		defer close(done)
		select {
		case s := <-sigs:
			caught = s
			cancel()
		case <-ctx.Done():
		}
	}()
	stop := func() { signal.Stop(sigs); cancel(); <-done }
	code := func() int {
		cancel()
		<-done
		if caught == nil {
			return 130
		}
		return signalCode(caught)
	}
	return ctx, stop, code
}

const stopped = "grade: stopped; every program it started was killed and its files removed\n"

// class grades every submission in t.submissions.
func (t *teacher) class(ctx context.Context, code func() int, c *course.Course, targets []course.Target, p engine.Params, stdout, stderr io.Writer) int {
	subs, skipped, err := class.Find(c, t.submissions)
	if err != nil {
		fmt.Fprintf(stderr, "grade: %v\n", strings.TrimPrefix(err.Error(), "class: "))
		return 2
	}
	for _, s := range skipped {
		fmt.Fprintf(stderr, "grade: note: %s is not a folder of a student; skipped\n", filepath.Join(t.submissions, s))
	}
	var es []*course.Exercise
	for _, tg := range targets {
		es = append(es, tg.Exercise)
	}
	sh, _ := class.ParseShard(t.shard)
	jobs := t.jobs
	if jobs <= 0 {
		jobs = runtime.NumCPU()
	}
	start := time.Now()
	cp := class.Params{Engine: p, PartialCredit: t.partial, Shard: sh, Jobs: jobs,
		Reproduce: func(s *class.Submission) string { return filepath.Join(t.submissions, s.Student) },
		Done: func(student string, cells []class.CellRecord) {
			fmt.Fprintln(stdout, studentLine(c, student, cells, t.partial))
		}}
	fmt.Fprintf(stdout, "grading %s × %s (%s), %d runs each, seed %d\n", count(len(subs), "student"), count(len(es), "exercise"), sh, p.Runs, p.Seed)
	res, err := class.Grade(ctx, c, subs, es, cp)
	if ctx.Err() != nil {
		fmt.Fprint(stderr, stopped)
		return code()
	}
	if err != nil {
		fmt.Fprintf(stderr, "grade: %v\n", err)
		return 2
	}
	wall := time.Since(start)
	book, err := res.WriteFiles(t.out, c)
	if err != nil {
		fmt.Fprintf(stderr, "grade: %v\n", strings.TrimPrefix(err.Error(), "class: "))
		return 2
	}
	fmt.Fprint(stdout, "\n"+timing(res.Cells, wall, jobs))
	if book == nil {
		fmt.Fprintf(stdout, "wrote %s\nwhen every shard is done: go run ./cmd/grade merge -out DIR results-*-of-%d.json\n",
			filepath.Join(t.out, class.ShardFile(sh)), sh.N)
	} else {
		fmt.Fprint(stdout, wrote(t.out, book))
	}
	return cellsExit(res.Cells, stderr)
}

// studentLine is the line printed when a student's cells are graded.
func studentLine(c *course.Course, student string, cells []class.CellRecord, partial bool) string {
	var rs []report.Result
	for i := range cells {
		rs = append(rs, cells[i].Result(c))
	}
	score, max := report.Scoring{Partial: partial}.Total(rs)
	mark, why := "✓", ""
	for i := range rs {
		if rs[i].Status() != engine.Pass {
			mark = "✗"
			if why == "" {
				status := string(rs[i].Status())
				if cells[i].Kind != class.Graded {
					status = cells[i].Kind
				}
				why = "  first: " + rs[i].Target.Name + " " + status
			}
		}
	}
	return fmt.Sprintf("%s %-20s %6s of %s%s", mark, student, points(score), points(max), why)
}

// count writes n and a noun that agrees with it.
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func points(f float64) string { return strings.TrimSuffix(fmt.Sprintf("%.2f", f), ".00") }

// timing says how long the cells took: the wall time, and per cell.
func timing(cells []class.CellRecord, wall time.Duration, jobs int) string {
	var graded int
	var sum time.Duration
	for _, cr := range cells {
		if cr.Kind == class.Graded {
			graded++
			sum += time.Duration(cr.ElapsedMS) * time.Millisecond
		}
	}
	s := fmt.Sprintf("graded %d cells (%d built and run, %d missing or unchanged) in %v with %d at once: %v of wall time per cell",
		len(cells), graded, len(cells)-graded, wall.Round(time.Second), jobs, (wall / time.Duration(max(len(cells), 1))).Round(time.Millisecond))
	if graded > 0 {
		s += fmt.Sprintf(", %v per built cell on its own", (sum / time.Duration(graded)).Round(time.Millisecond))
	}
	return s + "\n"
}

// wrote lists the files of a whole class's grading.
func wrote(out string, b *class.Gradebook) string {
	return fmt.Sprintf("wrote %s and %s (%d students), %s/NAME.json and .xml, and %s\n",
		filepath.Join(out, class.BookCSV), filepath.Join(out, class.BookJSON), len(b.Students),
		filepath.Join(out, class.StudentsDir), filepath.Join(out, class.ResultsFile))
}

// cellsExit is the exit code of a class's grading: 0 when every cell
// was judged (whatever the students scored), 1 when grading could not
// judge some, which are named.
func cellsExit(cells []class.CellRecord, stderr io.Writer) int {
	code := 0
	for _, cr := range cells {
		if cr.Error != "" {
			fmt.Fprintf(stderr, "grade: could not judge %s's %s: %s\n", cr.Student, cr.Exercise, cr.Error)
			code = 1
		}
	}
	return code
}

// one grades one student's submission (-submission), or this checkout,
// and writes the report, -json, -junit, -gradescope and -classroom.
func (t *teacher) one(ctx context.Context, code func() int, c *course.Course, targets []course.Target, p engine.Params, o options, stdout, stderr io.Writer) int {
	var sub *class.Submission
	if t.submission != "" {
		if st, err := os.Stat(t.submission); err != nil || !st.IsDir() {
			fmt.Fprintf(stderr, "grade: -submission %s: not a folder; give the student's checkout or exercises/ folder\n", t.submission)
			return 2
		}
		abs, _ := filepath.Abs(t.submission)
		s := class.Survey(c, filepath.Base(abs), abs)
		sub = &s
	}
	// Output files are checked before grading, not after it.
	files := map[string]*os.File{}
	for _, name := range []string{o.junit, t.gradescope} {
		if name == "" {
			continue
		}
		f, err := os.Create(name)
		if err != nil {
			fmt.Fprintf(stderr, "grade: cannot write %s: %v\n", name, err)
			return 2
		}
		defer f.Close()
		files[name] = f
	}
	// One student's verdict is read as the learner reads it: in the
	// language asked for (-lang was checked before grading).
	lang, _ := i18n.Detect(o.lang, os.Getenv)
	text := &report.Text{W: stdout, Lang: lang, Colour: colour(stdout), Verbose: o.verbose}
	var notes []string
	if sub != nil {
		notes = sub.Notes
		if !o.json {
			for _, n := range notes {
				fmt.Fprintf(stdout, "note: %s\n", n)
			}
		}
	}
	// Every target's rules are read before any program runs, so that a
	// program cannot change the rules of a target graded after it.
	var rules class.Rules
	prepared := make([]*engine.Prepared, len(targets))
	prepErrs := make([]error, len(targets))
	if sub != nil {
		var es []*course.Exercise
		for _, tg := range targets {
			es = append(es, tg.Exercise)
		}
		rules = class.Prepare(c, es)
	} else {
		for i, tg := range targets {
			prepared[i], prepErrs[i] = engine.Prepare(c, tg)
		}
	}
	start := time.Now()
	var results []report.Result
	for i, tg := range targets {
		var r report.Result
		switch {
		case sub != nil:
			cr := class.GradeCell(ctx, c, rules, sub, tg.Exercise, p.Seed, class.Params{Engine: p,
				Reproduce: func(*class.Submission) string { return t.submission }})
			r = cr.Result(c)
		case prepErrs[i] != nil:
			r = report.Result{Target: tg, Err: prepErrs[i]}
		default:
			v, err := prepared[i].Grade(ctx, p)
			r = report.Result{Target: tg, Verdict: v, Err: err}
		}
		if ctx.Err() != nil {
			fmt.Fprint(stderr, stopped)
			return code()
		}
		results = append(results, r)
		if !o.json {
			text.Line(&r)
		}
	}
	scoring := report.Scoring{Partial: t.partial}
	if o.json {
		report.JSON(stdout, results, p.Seed, p.Runs, scoring)
	} else {
		text.Explain(results)
		score, max := scoring.Total(results)
		fmt.Fprintf(stdout, "\npoints: %s of %s\n", points(score), points(max))
	}
	if os.Getenv("GITHUB_ACTIONS") == "true" {
		report.GitHub(stdout, results)
	}
	if f := files[o.junit]; f != nil {
		if err := report.JUnit(f, results); err != nil {
			fmt.Fprintf(stderr, "grade: cannot write the -junit file: %v\n", err)
			return 2
		}
	}
	if f := files[t.gradescope]; f != nil {
		g := report.Gradescope{Scoring: scoring, Visibility: t.visibility, Elapsed: time.Since(start), Notes: notes}
		if err := g.Write(f, results); err != nil {
			fmt.Fprintf(stderr, "grade: cannot write the -gradescope file: %v\n", err)
			return 2
		}
	}
	if t.classroom {
		if err := classroomOutput(report.Classroom{Scoring: scoring}, results, stdout); err != nil {
			fmt.Fprintf(stderr, "grade: -classroom: %v\n", err)
			return 2
		}
	}
	return report.ExitCode(results)
}

// classroomOutput gives the reporter its step output: appended to the
// file $GITHUB_OUTPUT names inside a GitHub Actions step, else printed.
func classroomOutput(cl report.Classroom, rs []report.Result, stdout io.Writer) error {
	line, err := cl.Output(rs)
	if err != nil {
		return err
	}
	name := os.Getenv("GITHUB_OUTPUT")
	if name == "" {
		_, err = io.WriteString(stdout, line)
		return err
	}
	f, err := os.OpenFile(name, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o666)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(f, line); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return errors.Join(errors.New("cannot write $GITHUB_OUTPUT"), err)
	}
	fmt.Fprintf(stdout, "classroom: wrote the step output `result` for education/autograding-grading-reporter\n")
	return nil
}
