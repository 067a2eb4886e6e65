package engine

import (
	"path/filepath"
	"testing"
)

// A submission's compile error names the exercise's file, whether go printed
// the submission's path absolute or relative to the course root (it prints
// whichever is shorter, so a class folder beside the course comes out as
// "../class/...").
func TestCompileErrorNamesTheExercisesFile(t *testing.T) {
	root := filepath.FromSlash("/tmp/course")
	source := filepath.FromSlash("/tmp/class/ann/exercises/03-count")
	pkg := "exercises/03-count"
	for _, out := range []string{
		"# fixture/exercises/03-count\n../class/ann/exercises/03-count/main.go:53:24: too many return values",
		"# fixture/exercises/03-count\n/tmp/class/ann/exercises/03-count/main.go:53:24: too many return values",
	} {
		ce := compileError(root, pkg, source, out)
		if ce.File != "exercises/03-count/main.go" || ce.Line != 53 || ce.Col != 24 {
			t.Errorf("compileError(%q) = %s:%d:%d; want exercises/03-count/main.go:53:24", out, ce.File, ce.Line, ce.Col)
		}
		if want := "exercises/03-count/main.go:53:24: too many return values"; ce.Output != want {
			t.Errorf("compileError(%q).Output = %q; want %q", out, ce.Output, want)
		}
	}
	// The course's own files keep their paths relative to the root.
	ce := compileError(root, pkg, "", "/tmp/course/exercises/03-count/main.go:7:2: undefined: x")
	if ce.File != "exercises/03-count/main.go" || ce.Line != 7 {
		t.Errorf("a course file: %s:%d; want exercises/03-count/main.go:7", ce.File, ce.Line)
	}
}
