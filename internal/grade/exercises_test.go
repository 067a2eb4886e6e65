package grade

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// breaksHeader is the mutant header: a line "// Breaks: TEXT" in main.go,
// where TEXT must appear in the failure the mutant causes.
var breaksHeader = regexp.MustCompile(`(?m)^// Breaks: (.+?)\s*$`)

// TestCourse grades, for every exercise in the repository, the reference
// solution (it must pass), the Python original if there is one and python3
// is on PATH (it must pass too), and each mutant (it must fail, saying what
// its header declares). With no exercises yet it passes and says so.
func TestCourse(t *testing.T) {
	root, err := FindRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	exs, _ := filepath.Glob(filepath.Join(root, "exercises", "*", "main.go"))
	sols, _ := filepath.Glob(filepath.Join(root, "testdata", "solutions", "*", "main.go"))
	names := map[string]bool{}
	for _, f := range append(exs, sols...) {
		names[filepath.Base(filepath.Dir(f))] = true
	}
	if len(names) == 0 {
		t.Log("no exercises yet: nothing to grade")
		return
	}
	cfg := Config{Root: root, Runs: 20}
	for name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := os.Stat(filepath.Join(root, "testdata", "solutions", name, "main.go")); err != nil {
				t.Fatalf("no reference solution testdata/solutions/%s/main.go", name)
			}
			script := "testdata/scripts/" + name + ".txtar"
			if _, err := os.Stat(filepath.Join(root, script)); err != nil {
				t.Fatalf("no grading script %s", script)
			}
			t.Run("solution", func(t *testing.T) {
				t.Parallel()
				r, err := Grade(cfg, Exercise{Name: name, Dir: "testdata/solutions/" + name, Script: script})
				if err != nil || r.Status != Pass {
					t.Errorf("Grade(solution %s) = %s, %v; want pass\n%s", name, r.Status, err, describe(r))
				}
			})
			t.Run("python", func(t *testing.T) {
				t.Parallel()
				py := filepath.Join(root, "testdata", "python", name+".py")
				if _, err := os.Stat(py); err != nil {
					t.Skipf("no Python original testdata/python/%s.py", name)
				}
				python, err := exec.LookPath("python3")
				if err != nil {
					t.Skip("python3 is not on PATH: the Python original is not graded")
				}
				// The script is the line contract, whatever the language: the
				// original must pass it as the Go solution does. Trace checks
				// skip themselves, since Python writes no mp trace.
				pcfg := cfg
				pcfg.Cmd = []string{python, py}
				r, err := Grade(pcfg, Exercise{Name: name, Dir: "exercises/" + name, Script: script})
				if err != nil || r.Status != Pass {
					t.Errorf("Grade(python3 testdata/python/%s.py) = %s, %v; want pass\n%s\nreproduce: %s", name, r.Status, err, describe(r), r.Reproduce)
				}
			})
			mutants, _ := filepath.Glob(filepath.Join(root, "testdata", "mutants", name, "*", "main.go"))
			for _, m := range mutants {
				dir := filepath.ToSlash(must(filepath.Rel(root, filepath.Dir(m))))
				t.Run(filepath.Base(dir), func(t *testing.T) {
					t.Parallel()
					src, _ := os.ReadFile(m)
					h := breaksHeader.FindSubmatch(src)
					if h == nil {
						t.Fatalf("%s/main.go has no header line `// Breaks: <text of the failure>`", dir)
					}
					r, err := Grade(cfg, Exercise{Name: name, Dir: dir, Script: script})
					if err != nil || r.Status == Pass || r.Status == Error {
						t.Fatalf("Grade(mutant %s) = %s, %v; want fail or timeout\n%s", dir, r.Status, err, describe(r))
					}
					if got := describe(r); !strings.Contains(got, string(h[1])) {
						t.Errorf("Grade(mutant %s) failure = %q; want it to contain %q", dir, got, h[1])
					}
				})
			}
		})
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// describe returns the failing check's words, as a learner reads them.
func describe(r Result) string {
	if f := r.Failed(); f != nil {
		return f.Name + ": " + f.Message + "\n" + f.Output
	}
	return "(no failing check)"
}
