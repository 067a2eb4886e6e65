package course

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// StubPatch returns the path of the exercise's stub.patch: the stub as
// shipped, written as a unified diff against solution/main.go, so that
// the grader can tell an untouched stub and restore one without git (a
// zip download has none) and without a second copy of the stub.
func (e *Exercise) StubPatch() string { return e.Material + "/stub.patch" }

// ShippedStub returns the stub as the course ships it: the solution with
// stub.patch applied.
func (c *Course) ShippedStub(e *Exercise) ([]byte, error) {
	text, err := c.ReadFile(e.StubPatch())
	if err != nil {
		return nil, err
	}
	lines := strings.Split(string(text), "\n")
	i := 0
	for i < len(lines) && !strings.HasPrefix(lines[i], "--- ") {
		i++
	}
	if i == len(lines) {
		return nil, fmt.Errorf("%s: no diff; make it with %s", e.StubPatch(), stubDiffCommand(e))
	}
	hunks, err := parseHunks(lines, i)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", e.StubPatch(), err)
	}
	sol, err := c.ReadFile(e.Solution() + "/main.go")
	if err != nil {
		return nil, err
	}
	w := &Wrong{File: e.StubPatch(), hunks: hunks}
	return w.Apply(sol)
}

func stubDiffCommand(e *Exercise) string {
	return fmt.Sprintf("`diff -u %s/main.go %s > %s`", e.Solution(), e.Stub(), e.StubPatch())
}

// ErrNoStub is returned by Untouched when the course ships no stub.patch
// for the exercise, so that it cannot tell.
var ErrNoStub = errors.New("course: the exercise ships no stub.patch")

// Untouched reports whether the learner's folder holds only the stub as
// shipped: main.go unchanged (line endings aside) and no other Go file.
// It reads files only; nothing is built or run. It returns ErrNoStub
// (wrapped) when the course cannot say.
func (c *Course) Untouched(e *Exercise) (bool, error) {
	shipped, err := c.ShippedStub(e)
	if errors.Is(err, os.ErrNotExist) {
		return false, fmt.Errorf("%w: %s", ErrNoStub, e.StubPatch())
	}
	if err != nil {
		return false, err
	}
	files, err := filepath.Glob(c.abs(e.Dir + "/*.go"))
	if err != nil {
		return false, err
	}
	if len(files) != 1 || filepath.Base(files[0]) != "main.go" {
		return false, nil
	}
	mine, err := os.ReadFile(files[0])
	if err != nil {
		return false, err
	}
	return bytes.Equal(normalise(mine), normalise(shipped)), nil
}

// normalise drops what an editor or a checkout may change without the
// learner meaning to: CRLF line endings and a missing final newline.
func normalise(b []byte) []byte {
	b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
	return bytes.TrimRight(b, "\n")
}
