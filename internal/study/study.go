// Package study keeps a learner's progress through the course, the way
// go build's cache keeps compiled packages: a verdict is remembered under
// the content hash of everything it depended on (the learner's Go files,
// the rules, the exercise's metadata and the grader itself), so an
// unchanged exercise is never graded twice, and a changed one is never
// judged by an old verdict. It also remembers how many hints were shown
// and keeps the backups that `grade reset` makes.
//
// Everything lives in the folder .grade/ at the course root, which git
// ignores; removing it forgets the progress, never the learner's work.
//
// # Statuses
//
// An exercise is NotStarted while its folder holds the stub exactly as
// shipped (this needs no build), Passed or Failing when a remembered
// verdict matches its content, and Changed when it was edited since it
// was last graded.
package study

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/forklore/forklore/internal/course"
	"github.com/forklore/forklore/internal/engine"
)

// Dir is the folder, below the course root, that holds the progress.
const Dir = ".grade"

// Status is where a learner stands on one exercise.
type Status string

const (
	NotStarted Status = "not started" // the stub as shipped
	Changed    Status = "changed"     // edited since it was last graded
	Failing    Status = "failing"
	Passed     Status = "passed"
)

// Result is a remembered verdict: what the home screen, list and watch
// show without grading again.
type Result struct {
	Key    string    `json:"key"` // the content hash it was graded under
	Passed bool      `json:"passed"`
	When   time.Time `json:"when"`
	// Rule, RuleZh and Why, WhyZh are the headline failure, if any.
	Rule   string `json:"rule,omitempty"`
	RuleZh string `json:"rule_zh,omitempty"`
	Why    string `json:"why,omitempty"`
	WhyZh  string `json:"why_zh,omitempty"`
	// Compile marks a program that did not build.
	Compile bool `json:"compile,omitempty"`
	// EverPassed stays true once the exercise passed, whatever came
	// after: it is what `grade solution` asks for.
	EverPassed bool `json:"ever_passed,omitempty"`
}

// RuleIn returns the headline rule in lang.
func (r *Result) RuleIn(lang string) string {
	if lang == "zh" && r.RuleZh != "" {
		return r.RuleZh
	}
	return r.Rule
}

// WhyIn returns why the headline rule broke, in lang.
func (r *Result) WhyIn(lang string) string {
	if lang == "zh" && r.WhyZh != "" {
		return r.WhyZh
	}
	return r.Why
}

// FromVerdict returns what is remembered of a verdict.
func FromVerdict(key string, v *engine.Verdict) Result {
	r := Result{Key: key, Passed: v.Passed(), When: time.Now()}
	if h := v.Headline(); h != nil {
		r.Rule, r.RuleZh, r.Why, r.WhyZh = h.Rule, h.RuleZh, h.Why, h.WhyZh
		r.Compile = v.Compile != nil
	}
	return r
}

// Book is a learner's progress in one course. Its methods may be called
// from several goroutines; two processes (a watch and a hint) may share
// the folder, since every write replaces a whole file at once.
type Book struct {
	C   *course.Course
	dir string
}

// Open returns the progress of the course.
func Open(c *course.Course) *Book {
	return &Book{C: c, dir: filepath.Join(c.Root, Dir)}
}

// Path returns the absolute path of a file in the progress folder.
func (b *Book) Path(elem ...string) string {
	return filepath.Join(append([]string{b.dir}, elem...)...)
}

// graderHash is the hash of the running grader's executable: a verdict
// of another grader (a newer engine, other rules of judging) is not
// reused.
var graderHash = sync.OnceValue(func() string {
	exe, err := os.Executable()
	if err != nil {
		return "unknown"
	}
	f, err := os.Open(exe)
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "unknown"
	}
	return hex.EncodeToString(h.Sum(nil))
})

// Key returns the content hash of what grading the learner's program of
// e depends on: its Go files (names and contents), the rules, the
// exercise's metadata and the grader.
func (b *Book) Key(e *course.Exercise) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "grader %s\n", graderHash())
	files, err := filepath.Glob(filepath.Join(b.C.Root, filepath.FromSlash(e.Dir), "*.go"))
	if err != nil {
		return "", err
	}
	slices.Sort(files)
	rel := []string{e.Rules, e.Material + "/exercise.json"}
	for _, f := range files {
		r, _ := filepath.Rel(b.C.Root, f)
		rel = append(rel, filepath.ToSlash(r))
	}
	for _, f := range rel {
		data, err := b.C.ReadFile(f)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s %d\n", f, len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Last returns the remembered result of e, whatever content it was for.
func (b *Book) Last(e *course.Exercise) (Result, bool) {
	var r Result
	data, err := os.ReadFile(b.Path("results", e.Name+".json"))
	if err != nil || json.Unmarshal(data, &r) != nil {
		return Result{}, false
	}
	return r, true
}

// Remember stores the result of grading e's content under r.Key.
func (b *Book) Remember(e *course.Exercise, r Result) error {
	if old, ok := b.Last(e); ok && old.EverPassed {
		r.EverPassed = true
	}
	r.EverPassed = r.EverPassed || r.Passed
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return b.write(data, "results", e.Name+".json")
}

// write replaces a file of the folder at once: a reader sees the old
// content or the new, never half.
func (b *Book) write(data []byte, elem ...string) error {
	p := b.Path(elem...)
	if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
		return fmt.Errorf("study: cannot keep progress: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return fmt.Errorf("study: cannot keep progress: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	tmp.Close()
	return os.Rename(tmp.Name(), p)
}

// State is one exercise's status, with what is known of it.
type State struct {
	E      *course.Exercise
	Status Status
	Key    string // the content hash; "" for NotStarted
	Result Result // the remembered result, for Passed and Failing
}

// StateOf returns where the learner stands on e, reading files only.
func (b *Book) StateOf(e *course.Exercise) (State, error) {
	s := State{E: e}
	// A course that cannot tell (no stub.patch, or a stale one, which the
	// layout test reports to its author) treats the exercise as started:
	// it is graded rather than the learner stopped.
	if untouched, err := b.C.Untouched(e); err == nil && untouched {
		s.Status = NotStarted
		return s, nil
	}
	var err error
	if s.Key, err = b.Key(e); err != nil {
		return s, err
	}
	s.Status = Changed
	if r, ok := b.Last(e); ok && r.Key == s.Key {
		s.Result = r
		s.Status = Failing
		if r.Passed {
			s.Status = Passed
		}
	}
	return s, nil
}

// States returns the state of every exercise, in course order.
func (b *Book) States() ([]State, error) {
	var out []State
	for _, e := range b.C.Exercises {
		s, err := b.StateOf(e)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// Current returns the index of the first state that is not Passed, or -1
// when every exercise passed.
func Current(states []State) int {
	return slices.IndexFunc(states, func(s State) bool { return s.Status != Passed })
}

// HintsShown returns how many hints of e were shown.
func (b *Book) HintsShown(e *course.Exercise) int {
	data, err := os.ReadFile(b.Path("hints", e.Name))
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	return max(n, 0)
}

// SetHintsShown records that n hints of e were shown.
func (b *Book) SetHintsShown(e *course.Exercise, n int) error {
	return b.write([]byte(strconv.Itoa(n)+"\n"), "hints", e.Name)
}

// Backup copies the learner's Go files of e into a new folder below
// .grade/backup and returns it, relative to the course root.
func (b *Book) Backup(e *course.Exercise) (string, error) {
	files, err := filepath.Glob(filepath.Join(b.C.Root, filepath.FromSlash(e.Dir), "*.go"))
	if err != nil {
		return "", err
	}
	stamp := time.Now().Format("20060102-150405")
	rel := filepath.ToSlash(filepath.Join(Dir, "backup", e.Name, stamp))
	dir := filepath.Join(b.C.Root, rel)
	for i := 2; ; i++ {
		if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
			break
		}
		rel = filepath.ToSlash(filepath.Join(Dir, "backup", e.Name, stamp+"-"+strconv.Itoa(i)))
		dir = filepath.Join(b.C.Root, rel)
	}
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return "", fmt.Errorf("study: cannot make the backup folder: %w", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), data, 0o666); err != nil {
			return "", fmt.Errorf("study: cannot write the backup: %w", err)
		}
	}
	return rel, nil
}
