package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// inCourse runs f with the working directory in a fresh copy of the
// course.
func inCourse(t *testing.T, f func(dir string)) {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "course")
	copyCourse(t, root, dir)
	old, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(old)
	f(dir)
}

// TestBadInput checks the learner's commands on bad input: an unknown
// exercise lists the closest names; reset of an unchanged exercise says
// so; watch on a folder that is gone, or that goes while it watches,
// explains and exits 2.
func TestBadInput(t *testing.T) {
	inCourse(t, func(dir string) {
		var out, errb bytes.Buffer
		if code := run([]string{"hint", "isolaton"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "did you mean 05-isolation") {
			t.Errorf("grade hint isolaton = %d, %q; want 2 and the closest name", code, errb.String())
		}
		out.Reset()
		errb.Reset()
		if code := run([]string{"reset", "-y", "05"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "has no changes") {
			t.Errorf("grade reset 05 on the stub = %d, %q; want 0 and no changes", code, out.String())
		}

		// A folder gone before watch starts.
		os.Rename(filepath.Join(dir, "exercises/05-isolation"), filepath.Join(dir, "gone"))
		out.Reset()
		errb.Reset()
		if code := run([]string{"watch", "05-isolation"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "is gone") {
			t.Errorf("grade watch of a missing folder = %d, %q; want 2 and why", code, errb.String())
		}
		os.Rename(filepath.Join(dir, "gone"), filepath.Join(dir, "exercises/05-isolation"))

		// A folder that goes while watch watches it.
		out.Reset()
		errb.Reset()
		done := make(chan int, 1)
		go func() { done <- run([]string{"watch", "-poll", "50ms", "05"}, &out, &errb) }()
		time.Sleep(500 * time.Millisecond) // watch is up, or still starting: either way the folder goes
		if err := os.RemoveAll(filepath.Join(dir, "exercises/05-isolation")); err != nil {
			t.Fatal(err)
		}
		select {
		case code := <-done:
			if code != 2 || !strings.Contains(errb.String(), "is gone") {
				t.Errorf("grade watch whose folder vanished = %d, %q; want 2 and why", code, errb.String())
			}
		case <-time.After(5 * time.Minute):
			t.Fatal("grade watch did not notice that its folder vanished")
		}
	})
}

// TestWatchReadOnly: watch refuses a folder it could not save into.
func TestWatchReadOnly(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root, who may write into any folder: a read-only folder cannot be made")
	}
	inCourse(t, func(dir string) {
		ex := filepath.Join(dir, "exercises/05-isolation")
		os.Chmod(ex, 0o555)
		defer os.Chmod(ex, 0o755)
		var out, errb bytes.Buffer
		if code := run([]string{"watch", "05"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "read-only") {
			t.Errorf("grade watch of a read-only folder = %d, %q; want 2 and why", code, errb.String())
		}
	})
}
