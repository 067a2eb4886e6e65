package engine

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/forklore/forklore/internal/course"
	"github.com/forklore/forklore/internal/i18n"
	"github.com/forklore/forklore/internal/mptrace"
	"golang.org/x/sync/errgroup"
)

// Params configures grading. The zero value grades with 20 runs per run
// command, a random seed, the exercise's time limit scaled to the
// machine's load, and builds each program.
type Params struct {
	// Runs is how many times each run or serve command runs the program.
	// Zero means 20.
	Runs int
	// Seed is the base seed: run 1 gets MP_PERTURB=Seed, run k a seed
	// derived from it. Zero means a random seed.
	Seed uint64
	// Timeout, if not zero, is the time limit of each run, replacing the
	// exercise's limit and its scaling, whether higher or lower.
	Timeout time.Duration
	// Cmd, if not nil, is run instead of building the target (argv form).
	Cmd []string
	// Memory is the memory limit of one run in bytes. Zero means 1 GiB.
	Memory int64
	// Parallel is how many runs go at once. Zero means two per CPU: the
	// programs mostly sleep (a lesson's tasks wait, lull runs pause), so
	// one per CPU leaves the CPUs idle, and the time limits already scale
	// with how busy the machine is.
	Parallel int
	// Progress, if not nil, is called after each run with how many of the
	// grading's runs are done so far.
	Progress func(done int)
	// Record keeps a record of a run for the timeline even when the
	// verdict is a pass (the first run); a failure always keeps the
	// failing run.
	Record bool
	// Source, if not empty, is a folder whose .go files are built instead
	// of the target's own (a student's submission), in the target's place
	// in the course, so that the program uses the course's mp and the
	// course's rules, whatever the submission holds.
	Source string
}

// MaxRuns bounds Params.Runs.
const MaxRuns = 1000

func (p Params) withDefaults() Params {
	if p.Runs == 0 {
		p.Runs = 20
	}
	for p.Seed == 0 {
		p.Seed = rand.Uint64()
	}
	if p.Memory == 0 {
		p.Memory = 1 << 30
	}
	if p.Parallel == 0 {
		p.Parallel = 2 * runtime.NumCPU()
	}
	return p
}

// grading is one call of Grade.
type grading struct {
	ctx     context.Context
	p       Params
	c       *course.Course
	t       course.Target
	program []string // the argv of the program under test
	built   bool     // built from Go source, so it writes an mp trace
	race    bool
	work    string // this grading's temporary folder
	script  *Script
	nrun    int // how many run or serve commands have executed
	done    atomic.Int64
	files   map[string][]byte // the Go files built instead of the target's own
	srcs    []srcFile         // the program's source, parsed once
	// first is the first run made, kept for the timeline (Params.Record).
	first *Run
}

// Prepared is a target whose rules are read and checked, ready to grade.
type Prepared struct {
	c      *course.Course
	t      course.Target
	script *Script
	steps  []func(*state) error
	files  map[string][]byte // the Go files to build instead of the target's own
}

// Prepare reads and checks the target's rules and instructor files, so
// that they are all in memory before any program runs: a program graded
// first cannot change the rules of one graded after it. A broken rule is a
// *ScriptError naming its file and line.
func Prepare(c *course.Course, t course.Target) (*Prepared, error) {
	b, err := c.ReadFile(t.Rules)
	if err != nil {
		return nil, fmt.Errorf("cannot read the rules of %s: %w", t.Name, err)
	}
	script, err := ParseScript(t.Rules, b, os.Getenv)
	if err != nil {
		return nil, err
	}
	steps, err := prepareAll(script)
	if err != nil {
		return nil, err
	}
	pr := &Prepared{c: c, t: t, script: script, steps: steps}
	switch t.Kind {
	case course.Solution:
		src, err := c.ReadFile(t.Solution() + "/main.go")
		if err != nil {
			return nil, err
		}
		pr.files = map[string][]byte{"main.go": src}
	case course.Mistake:
		src, err := c.Program(t.Exercise, t.Wrong)
		if err != nil {
			return nil, err
		}
		pr.files = map[string][]byte{"main.go": src}
	}
	return pr, nil
}

// Target returns the target the rules were prepared for.
func (pr *Prepared) Target() course.Target { return pr.t }

// Commands returns how many run or serve commands the rules have: a
// grading makes Params.Runs runs for each (fewer after a timeout).
func (pr *Prepared) Commands() int {
	n := 0
	for _, st := range pr.script.Stmts {
		if st.Name == "run" || st.Name == "serve" {
			n++
		}
	}
	return n
}

// Grade prepares the target and grades it; see Prepared.Grade.
func Grade(ctx context.Context, c *course.Course, t course.Target, p Params) (*Verdict, error) {
	pr, err := Prepare(c, t)
	if err != nil {
		return nil, err
	}
	return pr.Grade(ctx, p)
}

// Grade grades the target: it builds the program, runs it Params.Runs
// times per run command, observes each run (output, mp trace, exit, stray
// processes) and checks every rule against every run. The verdict is a
// value: a failing program is a *Verdict with Status Fail or Timeout,
// never an error. An error means grading could not be done: a broken
// rule found while running (a *ScriptError), a program that cannot be
// started, or a cancelled ctx.
func (pr *Prepared) Grade(ctx context.Context, p Params) (*Verdict, error) {
	c, t := pr.c, pr.t
	p = p.withDefaults()
	if p.Runs < 1 || p.Runs > MaxRuns {
		return nil, fmt.Errorf("runs per command must be between 1 and %d, not %d", MaxRuns, p.Runs)
	}
	start := time.Now()
	g := &grading{ctx: ctx, p: p, c: c, t: t, race: t.Needs(course.ChannelRace), script: pr.script, files: pr.files}
	v := &Verdict{Target: t, Seed: p.Seed, Runs: p.Runs}
	defer func() { v.Elapsed = time.Since(start) }()
	var err error
	if g.work, err = os.MkdirTemp("", "grade-"); err != nil {
		return nil, err
	}
	defer os.RemoveAll(g.work)

	if p.Cmd != nil {
		g.program = slices.Clone(p.Cmd)
		if len(g.program) == 0 {
			return nil, fmt.Errorf("the command to run is empty")
		}
		exe, err := exec.LookPath(g.program[0])
		if err != nil {
			return nil, fmt.Errorf("cannot run %q: %w", g.program[0], err)
		}
		g.program[0] = exe
	} else {
		bin := filepath.Join(g.work, "prog")
		ce, err := build(ctx, c.Root, t.Dir, pr.files, p.Source, g.race, bin)
		if err != nil {
			return nil, err
		}
		if ce != nil {
			if t.Kind != course.Learner {
				ce.File = t.Source()
			}
			v.Status, v.Compile = Fail, ce
			v.Checks = []Check{{Rule: i18n.T(i18n.En, "the program compiles"), RuleZh: i18n.T(i18n.Zh, "the program compiles"),
				Command: "build", Status: Fail, Cause: true, Weight: 1, Why: ce.Output, Pos: Pos{File: ce.File, Line: ce.Line}}}
			v.Reproduce = "go build ./" + t.Package()
			return v, nil
		}
		g.program, g.built = []string{bin}, true
	}

	s := &state{g: g}
	for _, step := range pr.steps {
		if err := step(s); err != nil {
			return nil, err
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	s.settle()
	v.Checks = s.checks
	v.Status = Pass
	if s.traceSkipped {
		v.addNote(i18n.M("the trace checks were skipped: the program wrote no mp trace (only mp programs do)"))
	}
	if h := v.Headline(); h != nil {
		v.Status = h.Status
		seed := h.Seed
		if seed == 0 {
			seed = p.Seed
		}
		v.Reproduce = g.reproduce(seed)
		if r := g.runOf(s, h); r != nil {
			v.Failing = record(r, v.Checks)
			v.Pauses = pauses(r)
		}
	}
	if v.Failing == nil && p.Record && g.first != nil {
		v.Failing = record(g.first, v.Checks)
	}
	return v, nil
}

// prepareAll parses every statement's options and arguments, so that a
// broken rule is reported before anything runs.
func prepareAll(script *Script) ([]func(*state) error, error) {
	var steps []func(*state) error
	last := "" // the last run or serve
	for i := range script.Stmts {
		st := &script.Stmts[i]
		cmd, _ := lookup(st.Name)
		c, err := cmd.parse(st, st.Args)
		if err != nil {
			return nil, &ScriptError{st.Pos, err.Error()}
		}
		switch check := c; {
		case cmd.name == "run" || cmd.name == "serve":
			last = cmd.name
		case cmd.check || cmd.name == "sometimes":
			name := cmd.name
			if cmd.name == "sometimes" {
				name = check.args[0]
			}
			needsServe := name == "replies" || name == "overlap" || name == "held" || slices.Contains(check.args, "-replies") || check.has("-replies")
			if last == "" {
				return nil, &ScriptError{st.Pos, name + ": no run to check; put a run or serve command before it"}
			}
			if needsServe && last != "serve" {
				return nil, &ScriptError{st.Pos, name + ": it reads what the clients of a serve got; put a serve command before it"}
			}
		}
		step, err := cmd.prepare(c)
		if err != nil {
			return nil, err
		}
		steps = append(steps, step)
	}
	return steps, nil
}

// runOf finds the run a failed check names.
func (g *grading) runOf(s *state, c *Check) *Run {
	for _, r := range s.runs {
		if r.Index+1 == c.Run && r.Seed == c.Seed {
			return r
		}
	}
	return nil
}

// reproduce returns the command that repeats a run's perturbation.
func (g *grading) reproduce(seed uint64) string {
	var b strings.Builder
	b.WriteString("go run ./cmd/grade -n 1 -seed " + strconv.FormatUint(seed, 10))
	if g.p.Timeout != 0 {
		b.WriteString(" -timeout " + g.p.Timeout.String())
	}
	if g.p.Cmd != nil {
		words := make([]string, len(g.p.Cmd))
		for i, w := range g.p.Cmd {
			words[i] = w
			if strings.ContainsAny(w, " \t'\"") {
				words[i] = `"` + w + `"`
			}
		}
		b.WriteString(" -cmd " + shellQuote(strings.Join(words, " ")))
	}
	b.WriteString(" " + g.t.Arg())
	return b.String()
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// limit returns a run's time limit: -timeout as given, else the command's
// or the exercise's limit, scaled up by how busy the machine is, plus room
// for the perturbation's long pauses.
func (g *grading) limit(d time.Duration) time.Duration {
	if g.p.Timeout != 0 {
		return g.p.Timeout
	}
	if d == 0 {
		d = g.t.Timeout()
	}
	return time.Duration(float64(d)*loadFactor()) + mptrace.MaxPause*2
}

// env returns the environment of run k.
func (g *grading) env(s *state, seed uint64, trace, id string, extra ...string) []string {
	// Only what any program needs passes from the grader's environment:
	// a variable such as PYTHONUNBUFFERED changes how a program writes its
	// lines, and the rules must see the same program everywhere.
	var env []string
	for _, k := range []string{"PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	env = append(env, s.env...)
	env = append(env,
		// A crash shows the goroutine that crashed, not the runtime's own.
		"GOTRACEBACK=single",
		// Under -race a child sleeps a second at exit unless told not to.
		"GORACE=atexit_sleep_ms=0",
		mptrace.EnvPerturb+"="+strconv.FormatUint(seed, 10),
		mptrace.EnvTrace+"="+trace,
		runEnv+"="+id,
	)
	return append(env, extra...)
}

// runAll runs f for repetitions 0..Runs-1, at most Parallel at once, until
// f reports that the remaining ones can be skipped; it returns the runs
// made, in order.
func (g *grading) runAll(f func(k int) (r *Run, stop bool)) []*Run {
	runs := make([]*Run, g.p.Runs)
	var stop atomic.Bool
	var eg errgroup.Group
	eg.SetLimit(g.p.Parallel)
	for k := range g.p.Runs {
		eg.Go(func() error {
			if stop.Load() || g.ctx.Err() != nil {
				return nil
			}
			r, s := f(k)
			runs[k] = r
			if s {
				// One hung run is enough to judge; waiting out the same
				// limit in every other would only slow the verdict.
				stop.Store(true)
			}
			if g.p.Progress != nil {
				g.p.Progress(int(g.done.Add(1)))
			}
			return nil
		})
	}
	_ = eg.Wait()
	runs = slices.DeleteFunc(runs, func(r *Run) bool { return r == nil })
	if g.first == nil && len(runs) > 0 {
		g.first = runs[0]
	}
	return runs
}

// prepareRun makes repetition k's own work directory with the rules'
// files, and the path of its trace.
func (g *grading) prepareRun(k int) (dir, trace, id string, err error) {
	id = fmt.Sprintf("%d-%d", g.nrun, k)
	base := filepath.Join(g.work, "run-"+id)
	dir = base + ".work"
	if err := os.MkdirAll(filepath.Join(dir, ".tmp"), 0o777); err != nil {
		return "", "", "", err
	}
	for _, f := range g.script.Files {
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
			return "", "", "", err
		}
		if err := os.WriteFile(p, f.Data, 0o666); err != nil {
			return "", "", "", err
		}
	}
	return dir, base + ".trace", fmt.Sprintf("%d-%s", os.Getpid(), id), nil
}

// runSpec returns how to execute run k.
func (g *grading) runSpec(s *state, k int, limit time.Duration, args []string, extra ...string) (runSpec, uint64, error) {
	seed := mptrace.RunSeed(g.p.Seed, k)
	dir, trace, id, err := g.prepareRun(k)
	if err != nil {
		return runSpec{}, 0, err
	}
	env := g.env(s, seed, trace, id, append([]string{"TMPDIR=" + filepath.Join(dir, ".tmp")}, extra...)...)
	return runSpec{
		argv:  append(append([]string(nil), g.program...), args...),
		dir:   dir,
		env:   env,
		id:    id,
		trace: trace,
		limit: limit,
		grace: graceFor(limit),
		work:  g.work,
		mem:   g.p.Memory,
		cpu:   limit,
		race:  g.race,
	}, seed, nil
}

// graceFor is how long descendants may outlive the main process before
// they count as strays: daemons need a moment to notice that their parent
// is gone, longer on a busy machine.
func graceFor(limit time.Duration) time.Duration {
	return min(limit/4, time.Duration(float64(300*time.Millisecond)*loadFactor()))
}

// loadFactor says how much slower than an idle machine this one runs now,
// at least 1: the share of a CPU a busy loop gets right now, or the load
// average per CPU, whichever says busier.
func loadFactor() float64 {
	f := 1.0
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if l, err := strconv.ParseFloat(strings.Fields(string(b))[0], 64); err == nil {
			f = max(f, l/float64(runtime.NumCPU()))
		}
	}
	f = max(f, cpuShare())
	return min(f, 20)
}

// cpuShare runs a short busy loop and returns its wall time over its CPU
// time: about 1 on an idle machine, 5 when five threads share each CPU.
func cpuShare() float64 {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	w0, c0 := time.Now(), threadCPU()
	x := uint64(1)
	for threadCPU()-c0 < 2*time.Millisecond {
		for range 10000 {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	wall, cpu := time.Since(w0), threadCPU()-c0
	if x == 0 || cpu <= 0 {
		return 1
	}
	return float64(wall) / float64(cpu)
}
