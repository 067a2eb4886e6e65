package study

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/forklore/forklore/internal/course"
)

// copyExercise makes a course of one exercise in a temporary folder.
func copyExercise(t *testing.T) (*course.Course, *course.Exercise) {
	t.Helper()
	root, err := course.FindRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	c, _ := course.Load(root)
	e := c.Exercises[0]
	dir := t.TempDir()
	for _, rel := range []string{"go.mod", e.Stub(), e.Rules, e.Material + "/exercise.json", e.Solution() + "/main.go", e.StubPatch()} {
		b, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, rel)
		os.MkdirAll(filepath.Dir(p), 0o777)
		if err := os.WriteFile(p, b, 0o666); err != nil {
			t.Fatal(err)
		}
	}
	c2, _ := course.Load(dir)
	return c2, c2.Lookup(e.Name)
}

// TestStatuses walks one exercise through its statuses: not started,
// changed, failing, passed, and changed again after an edit; a verdict
// is never reused for other content, and "ever passed" stays.
func TestStatuses(t *testing.T) {
	c, e := copyExercise(t)
	b := Open(c)
	state := func() State {
		t.Helper()
		s, err := b.StateOf(e)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if s := state(); s.Status != NotStarted {
		t.Fatalf("the stub as shipped: status %q; want %q", s.Status, NotStarted)
	}
	stub := filepath.Join(c.Root, e.Stub())
	orig, _ := os.ReadFile(stub)
	os.WriteFile(stub, append(orig, []byte("\n// mine\n")...), 0o666)
	s := state()
	if s.Status != Changed || s.Key == "" {
		t.Fatalf("an edited stub: status %q, key %q; want %q and a key", s.Status, s.Key, Changed)
	}
	b.Remember(e, Result{Key: s.Key, Rule: "a rule", RuleZh: "一条规则"})
	if s := state(); s.Status != Failing || s.Result.RuleIn("zh") != "一条规则" {
		t.Fatalf("after a failing verdict: %q, %q; want %q", s.Status, s.Result.RuleIn("zh"), Failing)
	}
	b.Remember(e, Result{Key: s.Key, Passed: true})
	if s := state(); s.Status != Passed {
		t.Fatalf("after a pass: %q; want %q", s.Status, Passed)
	}
	os.WriteFile(stub, append(orig, []byte("\n// mine, changed\n")...), 0o666)
	s2 := state()
	if s2.Status != Changed || s2.Key == s.Key {
		t.Fatalf("after another edit: %q (key %q, was %q); want %q and a new key", s2.Status, s2.Key, s.Key, Changed)
	}
	b.Remember(e, Result{Key: s2.Key})
	if r, _ := b.Last(e); !r.EverPassed {
		t.Errorf("a failing verdict after a pass forgot the pass")
	}
	// The rules are part of the key: new rules, new grading.
	rules := filepath.Join(c.Root, e.Rules)
	rb, _ := os.ReadFile(rules)
	os.WriteFile(rules, append(rb, '\n'), 0o666)
	if s3 := state(); s3.Key == s2.Key || s3.Status != Changed {
		t.Errorf("changed rules kept the key %q (status %q)", s3.Key, s3.Status)
	}
}

func TestHintsAndBackup(t *testing.T) {
	c, e := copyExercise(t)
	b := Open(c)
	if n := b.HintsShown(e); n != 0 {
		t.Fatalf("HintsShown on a fresh course = %d; want 0", n)
	}
	b.SetHintsShown(e, 2)
	if n := b.HintsShown(e); n != 2 {
		t.Fatalf("HintsShown = %d; want 2", n)
	}
	rel, err := b.Backup(e)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(c.Root, rel, "main.go"))
	want, _ := os.ReadFile(filepath.Join(c.Root, e.Stub()))
	if string(got) != string(want) {
		t.Errorf("the backup in %s differs from the learner's file", rel)
	}
	if rel2, _ := b.Backup(e); rel2 == rel {
		t.Errorf("a second backup overwrote the first, in %s", rel)
	}
}
