package engine_test

import (
	"context"
	"flag"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/forklore/forklore/internal/course"
	"github.com/forklore/forklore/internal/engine"
	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	engine.RunShim()
	// The course test's gradings mostly sleep, so the default -parallel
	// (one test per CPU) leaves the CPUs idle most of the time: let as
	// many tests run at once as gradings allows, unless -parallel is given.
	flag.Parse()
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	if !given {
		_ = flag.Set("test.parallel", strconv.Itoa(cap(gradings)))
	}
	os.Exit(m.Run())
}

// quickRuns is how many runs a known-wrong program gets first: enough for
// two lull runs (1 and 4; see mptrace.RunSeed).
const quickRuns = 5

// gradings bounds how many gradings the course test runs at once: the
// programs mostly sleep, so more than one per CPU keeps the test short.
var gradings = make(chan struct{}, 6)

func grade(t *testing.T, c *course.Course, target course.Target, p engine.Params) *engine.Verdict {
	t.Helper()
	gradings <- struct{}{}
	defer func() { <-gradings }()
	v, err := engine.Grade(context.Background(), c, target, p)
	if err != nil {
		t.Fatalf("Grade(%s) = %v", target.Label(), err)
	}
	return v
}

// describe returns every failure of a verdict as a learner reads it.
func describe(v *engine.Verdict) string {
	var b strings.Builder
	for _, c := range v.Checks {
		if c.Failed() {
			b.WriteString(c.Rule + ": " + c.Why + "\n")
		}
	}
	if b.Len() == 0 {
		return "(no failing check)"
	}
	return b.String()
}

// python resolves the real interpreter once: the python3 first on PATH may
// be a version manager's slow shim.
var python = sync.OnceValues(func() (string, error) {
	out, err := exec.Command("python3", "-c", "import sys; print(sys.executable)").Output()
	return strings.TrimSpace(string(out)), err
})

// TestCourse grades, for every exercise: the untouched stub (it must
// fail), the reference solution (it must pass), every known-wrong program
// (it must fail, naming what its patch declares) and the Python original
// (it must pass the same rules).
func TestCourse(t *testing.T) {
	root, err := course.FindRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	c, err := course.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Exercises) == 0 {
		t.Fatal("the course has no exercises")
	}
	for _, e := range c.Exercises {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			t.Run("stub", func(t *testing.T) {
				t.Parallel()
				v := grade(t, c, course.Target{Exercise: e}, engine.Params{Runs: 4})
				if v.Passed() {
					t.Errorf("the untouched stub %s passes; a stub must fail until the learner completes it", e.Stub())
				}
			})
			t.Run("solution", func(t *testing.T) {
				t.Parallel()
				v := grade(t, c, course.Target{Exercise: e, Kind: course.Solution}, engine.Params{})
				if !v.Passed() {
					t.Errorf("Grade(solution) = %s; want pass\n%s\nreproduce: %s", v.Status, describe(v), v.Reproduce)
				}
			})
			t.Run("python", func(t *testing.T) {
				t.Parallel()
				py, err := python()
				if err != nil {
					t.Skipf("no python3: the Python original %s is not graded", e.Original())
				}
				// Four runs keep the course test quick; a rule that needs
				// only some run is judged over the grader's default count
				// when four were not enough, as a learner's grading would be.
				cmd := []string{py, root + "/" + e.Original()}
				seed := rand.Uint64() | 1
				v := grade(t, c, course.Target{Exercise: e}, engine.Params{Cmd: cmd, Runs: 4, Seed: seed})
				if !v.Passed() {
					v = grade(t, c, course.Target{Exercise: e}, engine.Params{Cmd: cmd, Seed: seed})
				}
				if !v.Passed() {
					t.Errorf("Grade(python3 %s) = %s; want pass\n%s\nreproduce: %s", e.Original(), v.Status, describe(v), v.Reproduce)
				}
			})
			for i := range e.Wrong {
				w := &e.Wrong[i]
				t.Run(w.Name, func(t *testing.T) {
					t.Parallel()
					// Run k of a grading gets the same seed whatever -n is, so
					// a failure in the first few runs is one the full grading
					// would find too: most known-wrong programs are settled
					// in a few runs, and the others get all of them.
					target := course.Target{Exercise: e, Kind: course.Mistake, Wrong: w}
					seed := rand.Uint64() | 1
					v := grade(t, c, target, engine.Params{Runs: quickRuns, Seed: seed})
					if v.Passed() || !strings.Contains(describe(v), w.Breaks) {
						v = grade(t, c, target, engine.Params{Seed: seed})
					}
					if v.Passed() {
						t.Fatalf("Grade(%s, seed %d) passes; a known-wrong program must fail with %q", w.File, seed, w.Breaks)
					}
					if got := describe(v); !strings.Contains(got, w.Breaks) {
						t.Errorf("Grade(%s, seed %d) failure =\n%s\nwant it to contain %q", w.File, seed, got, w.Breaks)
					}
				})
			}
		})
	}
}

// TestRulesThroughTestscript runs every exercise's rules the standard
// way, through testscript, against its reference solution: the rules are
// ordinary testscript files that an instructor can run as such.
func TestRulesThroughTestscript(t *testing.T) {
	root, err := course.FindRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	c, err := course.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	bins := map[string]string{}
	for _, e := range c.Exercises {
		bin := filepath.Join(t.TempDir(), e.Name)
		cmd := exec.Command("go", "build", "-o", bin, "./"+e.Solution())
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", e.Solution(), err, out)
		}
		files = append(files, filepath.Join(root, e.Rules))
		bins[e.Name] = bin
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".txtar")
		e := c.Lookup(name)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			gradings <- struct{}{}
			defer func() { <-gradings }()
			testscript.Run(t, testscript.Params{
				Files:               []string{f},
				RequireExplicitExec: true,
				Cmds:                engine.Testscript(c, course.Target{Exercise: e, Kind: course.Solution}, bins[name], engine.Params{Runs: 5}),
			})
		})
	}
}
