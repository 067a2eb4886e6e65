package course

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTheCourseIsComplete(t *testing.T) {
	root, err := FindRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Load(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Exercises) < 20 {
		t.Errorf("the course has %d exercises; want at least 20", len(c.Exercises))
	}
	for _, p := range c.Check() {
		t.Error(p)
	}
}

// TestCheckFindsEveryMissingFile copies the course and removes, one at a
// time, each file every exercise must have; Check must name it.
func TestCheckFindsEveryMissingFile(t *testing.T) {
	root, err := FindRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Load(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range c.Exercises {
		required := []string{e.Dir + "/README.md", e.Dir + "/README.zh.md", e.Stub(), e.Rules,
			e.Solution() + "/main.go", e.Original(), e.Material + "/exercise.json", e.Material + "/wrong", e.StubPatch()}
		for _, f := range required {
			dir := copyCourse(t, root, e)
			remove := []string{f}
			if f == e.Material+"/wrong" {
				// Two known-wrong programs are required: keep one.
				remove = nil
				for _, w := range e.Wrong[1:] {
					remove = append(remove, w.File)
				}
			}
			for _, r := range remove {
				if err := os.Remove(filepath.Join(dir, r)); err != nil {
					t.Fatal(err)
				}
			}
			c2, err := Load(dir)
			var problems []string
			if err != nil {
				problems = append(problems, err.Error())
			}
			if c2 != nil {
				problems = append(problems, c2.Check()...)
			}
			if !mentions(problems, f) {
				t.Errorf("with %s removed, Check() = %q; want a problem naming it", f, problems)
			}
		}
	}
}

func mentions(problems []string, f string) bool {
	for _, p := range problems {
		if strings.Contains(p, f) {
			return true
		}
	}
	return false
}

// copyCourse makes a course of the one exercise e in a temporary folder.
func copyCourse(t *testing.T, root string, e *Exercise) string {
	t.Helper()
	dir := t.TempDir()
	c := &Course{Root: root, rules: os.DirFS(filepath.Join(root, scripts))}
	files := append(c.walkFiles(e.Dir), c.walkFiles(e.Material)...)
	files = append(files, e.Rules, "go.mod")
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(dir, f)
		os.MkdirAll(filepath.Dir(dst), 0o777)
		if err := os.WriteFile(dst, b, 0o666); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestOrphansAreReported(t *testing.T) {
	root, _ := FindRoot(".")
	c, _ := Load(root)
	e := c.Exercises[0]
	dir := copyCourse(t, root, e)
	for _, f := range []string{"testdata/scripts/99-gone.txtar", "testdata/scripts/99-gone/solution/main.go", e.Material + "/notes.txt"} {
		p := filepath.Join(dir, f)
		os.MkdirAll(filepath.Dir(p), 0o777)
		os.WriteFile(p, []byte("x"), 0o666)
	}
	c2, _ := Load(dir)
	problems := c2.Check()
	for _, f := range []string{"testdata/scripts/99-gone.txtar", "testdata/scripts/99-gone/solution/main.go", e.Material + "/notes.txt"} {
		if !mentions(problems, f) {
			t.Errorf("Check() = %q; want the orphan %s named", problems, f)
		}
	}
}

// TestUntouched tells the stub as shipped from a changed one, without
// building anything: line endings aside, any change or any extra Go file
// makes it touched.
func TestUntouched(t *testing.T) {
	root, _ := FindRoot(".")
	c, _ := Load(root)
	e := c.Exercises[0]
	dir := copyCourse(t, root, e)
	c2, _ := Load(dir)
	e2 := c2.Lookup(e.Name)
	stub := filepath.Join(dir, e.Stub())
	orig, _ := os.ReadFile(stub)
	for _, tc := range []struct {
		name  string
		edit  func()
		wantU bool
	}{
		{"as shipped", func() {}, true},
		{"CRLF line endings", func() { os.WriteFile(stub, []byte(strings.ReplaceAll(string(orig), "\n", "\r\n")), 0o666) }, true},
		{"one character changed", func() { os.WriteFile(stub, []byte(strings.Replace(string(orig), "TODO", "TODo", 1)), 0o666) }, false},
		{"a second Go file", func() { os.WriteFile(filepath.Join(dir, e.Dir, "extra.go"), []byte("package main\n"), 0o666) }, false},
	} {
		tc.edit()
		got, err := c2.Untouched(e2)
		if err != nil || got != tc.wantU {
			t.Errorf("%s: Untouched = %v, %v; want %v", tc.name, got, err, tc.wantU)
		}
		os.WriteFile(stub, orig, 0o666)
		os.Remove(filepath.Join(dir, e.Dir, "extra.go"))
	}
}

// TestStubPatchesAreCurrent: in the course as shipped, every stub is
// untouched, so every stub.patch still turns the solution into the stub.
// (Check says so too; this test names only that, whatever else is
// missing.)
func TestStubPatchesAreCurrent(t *testing.T) {
	root, _ := FindRoot(".")
	c, _ := Load(root)
	for _, e := range c.Exercises {
		if ok, err := c.Untouched(e); err != nil || !ok {
			t.Errorf("Untouched(%s) = %v, %v in the course as shipped; remake %s with %s", e.Name, ok, err, e.StubPatch(), stubDiffCommand(e))
		}
	}
}
