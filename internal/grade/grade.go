package grade

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config configures grading. The zero value grades with 20 runs per run
// command, a random seed, a 10s timeout per run, and builds each program.
type Config struct {
	// Root is the module root holding go.mod, exercises/ and testdata/.
	// Empty means found by walking up from the current directory.
	Root string
	// Runs is how many times each run or serve command runs the program.
	// Zero means 20.
	Runs int
	// Seed is the base seed: run 1 gets MP_PERTURB=Seed, and run k a seed
	// derived from it. Zero means a random seed.
	Seed uint64
	// Timeout bounds each run's wall-clock time. Zero means 10s.
	Timeout time.Duration
	// Grace is how long descendants may keep the output open after the
	// main process exited before they are killed. Zero means 200ms.
	Grace time.Duration
	// Cmd, if not nil, is run instead of the built program (argv form).
	Cmd []string
	// Verbose adds testscript's log to every result.
	Verbose bool
}

// withDefaults fills in the zero fields.
func (c Config) withDefaults() Config {
	if c.Runs == 0 {
		c.Runs = 20
	}
	for c.Seed == 0 {
		c.Seed = rand.Uint64()
	}
	if c.Timeout == 0 {
		c.Timeout = 10 * time.Second
	}
	if c.Grace == 0 {
		c.Grace = 200 * time.Millisecond
	}
	return c
}

// Exercise is a program to grade and the script that grades it. Paths are
// slash-separated and relative to the module root.
type Exercise struct {
	Name   string // as in 01-start-target
	Dir    string // as in exercises/01-start-target or testdata/mutants/01-start-target/m1
	Script string // as in testdata/scripts/01-start-target.txtar
}

// Result is the verdict on one exercise.
type Result struct {
	Exercise
	Status    Status        // pass, fail, timeout or error
	Checks    []CheckResult // every check that ran, in order
	Seed      uint64        // base seed
	Runs      int           // runs per run command
	Log       string        // testscript's log
	Reproduce string        // command that reproduces the first failing run
	Elapsed   time.Duration
}

// Failed returns the first check that did not pass or skip, or nil.
func (r *Result) Failed() *CheckResult {
	for i := range r.Checks {
		if c := &r.Checks[i]; c.Status != Pass && c.Status != Skip {
			return c
		}
	}
	return nil
}

// FindRoot walks up from dir to the directory holding go.mod.
func FindRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("grade: %v", err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("grade: no go.mod in %s or above; run grade inside the forklore module", dir)
		}
	}
}

// UsageError is returned for bad input: an unknown exercise, a missing script.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Find resolves patterns, relative to cwd inside root, to exercises. A
// pattern is a directory, a glob (./exercises/01-*) or dir/... for every
// directory below dir holding .go files. A ... pattern may match nothing;
// anything else that matches nothing is a *UsageError.
func Find(root, cwd string, patterns []string) ([]Exercise, error) {
	var dirs []string
	for _, p := range patterns {
		abs := p
		if !filepath.IsAbs(p) {
			abs = filepath.Join(cwd, p)
		}
		var found []string
		switch {
		case strings.HasSuffix(p, "..."):
			base := strings.TrimSuffix(strings.TrimSuffix(abs, "..."), "/")
			filepath.WalkDir(base, func(path string, d os.DirEntry, err error) error {
				if err == nil && d.IsDir() && hasGoFiles(path) {
					found = append(found, path)
				}
				return nil
			})
		default:
			ms, _ := filepath.Glob(abs)
			for _, m := range ms {
				if hasGoFiles(m) {
					found = append(found, m)
				}
			}
			if len(found) == 0 {
				return nil, &UsageError{fmt.Sprintf("grade: no exercise at %s; give a directory holding main.go, e.g. ./exercises/01-start-target (ls exercises lists them)", p)}
			}
		}
		dirs = append(dirs, found...)
	}
	slices.Sort(dirs)
	var exs []Exercise
	for _, d := range slices.Compact(dirs) {
		rel, err := filepath.Rel(root, d)
		if err != nil || strings.HasPrefix(rel, "..") {
			return nil, &UsageError{fmt.Sprintf("grade: %s is outside the module at %s", d, root)}
		}
		rel = filepath.ToSlash(rel)
		ex := Exercise{Name: exerciseName(rel), Dir: rel}
		ex.Script = "testdata/scripts/" + ex.Name + ".txtar"
		if _, err := os.Stat(filepath.Join(root, ex.Script)); err != nil {
			return nil, &UsageError{fmt.Sprintf("grade: no grading script %s for %s; is the exercise name right?", ex.Script, rel)}
		}
		exs = append(exs, ex)
	}
	return exs, nil
}

func hasGoFiles(dir string) bool {
	ms, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	return len(ms) > 0
}

// exerciseName is the path element after exercises/, solutions/ or mutants/,
// else the last element.
func exerciseName(rel string) string {
	parts := strings.Split(rel, "/")
	for i, p := range parts[:len(parts)-1] {
		if p == "exercises" || p == "solutions" || p == "mutants" {
			return parts[i+1]
		}
	}
	return parts[len(parts)-1]
}

// Grade builds the exercise (unless cfg.Cmd is set) and runs its script.
// A program that does not compile fails; error is for grading that
// could not be done at all.
func Grade(cfg Config, ex Exercise) (Result, error) {
	cfg = cfg.withDefaults()
	start := time.Now()
	res := Result{Exercise: ex, Seed: cfg.Seed, Runs: cfg.Runs}
	defer func() { res.Elapsed = time.Since(start) }()
	program := cfg.Cmd
	if program == nil {
		tmp, err := os.MkdirTemp("", "grade-")
		if err != nil {
			return res, fmt.Errorf("grade: %v", err)
		}
		defer os.RemoveAll(tmp)
		bin := filepath.Join(tmp, "prog")
		msg, err := build(cfg.Root, ex.Dir, bin)
		if err != nil && msg == "" {
			return res, err
		}
		if err != nil {
			res.Status = Fail
			c := CheckResult{Name: "the program compiles", Command: "build", Status: Fail, Message: msg, Output: msg}
			if m := compileErr.FindStringSubmatch(msg); m != nil {
				c.lines = []Line{{N: atoi(m[2]), Text: m[0]}}
			}
			res.Checks = []CheckResult{c}
			res.Reproduce = "go build ./" + ex.Dir
			return res, nil
		}
		program = []string{bin}
	}
	checks, log, err := runScript(&cfg, filepath.Join(cfg.Root, ex.Script), program)
	if err != nil {
		return res, err
	}
	res.Checks, res.Log = checks, log
	res.Status = Pass
	if f := res.Failed(); f != nil {
		res.Status = f.Status
		seed := f.Seed
		if seed == 0 {
			seed = cfg.Seed
		}
		res.Reproduce = reproduce(cfg, ex, seed)
	}
	return res, nil
}

var compileErr = regexp.MustCompile(`(?m)^([^\s:]+\.go):(\d+):(\d+): .*$`)

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

// build compiles dir into bin; on failure it returns the compiler's
// messages with paths relative to the module root.
func build(root, dir, bin string) (string, error) {
	cmd := exec.Command("go", "build", "-o", bin, "./"+dir)
	cmd.Dir = root
	// A static binary starts each mp child about 1 ms sooner than one
	// linked with libc, which importing net causes by default.
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	if err == nil {
		return "", nil
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if strings.HasPrefix(l, "# ") {
			continue
		}
		l = strings.ReplaceAll(l, root+string(filepath.Separator), "")
		l = strings.TrimPrefix(l, "./")
		if m := compileErr.FindStringSubmatch(l); m != nil && !strings.Contains(m[1], "/") {
			l = dir + "/" + l // go printed the path relative to the package
		}
		lines = append(lines, l)
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return "", fmt.Errorf("grade: cannot run go build: %v", err)
	}
	return strings.Join(lines, "\n"), err
}

// reproduce returns the command that repeats the run with the given seed.
func reproduce(cfg Config, ex Exercise, seed uint64) string {
	var b bytes.Buffer
	b.WriteString("go run ./cmd/grade -n 1 -seed " + strconv.FormatUint(seed, 10))
	if cfg.Timeout != 10*time.Second {
		b.WriteString(" -timeout " + cfg.Timeout.String())
	}
	if cfg.Cmd != nil {
		words := make([]string, len(cfg.Cmd))
		for i, w := range cfg.Cmd {
			words[i] = w
			if strings.ContainsAny(w, " \t'\"") {
				words[i] = `"` + w + `"`
			}
		}
		b.WriteString(" -cmd " + shellQuote(strings.Join(words, " ")))
	}
	b.WriteString(" ./" + ex.Dir)
	return b.String()
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
