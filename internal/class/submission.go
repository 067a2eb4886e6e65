package class

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/forklore/forklore/internal/course"
)

// Submission is one student's folder.
type Submission struct {
	Student string // the folder's name
	Dir     string // the folder, absolute
	// Exercises is the folder holding the NN-name folders; empty when the
	// submission has none, and every exercise is missing.
	Exercises string
	// Notes say what the grader ignored or assumed, one sentence each.
	Notes []string
}

// Kinds of cell, as the gradebook names them.
const (
	Graded    = ""          // built and judged by the rules
	Missing   = "missing"   // no .go file for the exercise
	Unchanged = "unchanged" // the stub, byte for byte
)

// ErrNoSubmissions is returned by Find for a folder with no folder in it.
var ErrNoSubmissions = errors.New("class: no submissions")

// Find lists the submissions in dir, one per folder, sorted by name.
// Files and hidden folders (.git) are not submissions; skipped names them.
func Find(c *course.Course, dir string) (subs []Submission, skipped []string, err error) {
	dir, err = filepath.Abs(dir)
	if err != nil {
		return nil, nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("class: cannot read the submissions: %w; give the folder that holds one folder per student", err)
	}
	for _, d := range entries {
		name := d.Name()
		if strings.HasPrefix(name, ".") || !isDir(filepath.Join(dir, name)) {
			skipped = append(skipped, name)
			continue
		}
		subs = append(subs, Survey(c, name, filepath.Join(dir, name)))
	}
	if len(subs) == 0 {
		return nil, skipped, fmt.Errorf("%w in %s: put one folder per student in it (a checkout, or its exercises/ folder)", ErrNoSubmissions, dir)
	}
	return subs, skipped, nil
}

// Survey finds where a student's folder keeps its exercises and notes
// what the grader will ignore in it.
func Survey(c *course.Course, student, dir string) Submission {
	s := Submission{Student: student, Dir: dir}
	root := dir
	all, _ := os.ReadDir(dir)
	if len(all) == 0 {
		s.Notes = append(s.Notes, "the folder is empty: every exercise is missing")
		return s
	}
	// An unpacked zip often puts everything one folder down, next to
	// macOS's __MACOSX and hidden files.
	var entries []os.DirEntry
	for _, d := range all {
		if !strings.HasPrefix(d.Name(), ".") && d.Name() != "__MACOSX" {
			entries = append(entries, d)
		}
	}
	if len(entries) == 1 && entries[0].IsDir() && !holdsExercises(c, dir) && !isDir(filepath.Join(dir, "exercises")) {
		root = filepath.Join(dir, entries[0].Name())
	}
	switch {
	case isDir(filepath.Join(root, "exercises")):
		s.Exercises = filepath.Join(root, "exercises")
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
			s.Notes = append(s.Notes, "no go.mod: not needed, the grader builds in its own module")
		}
		s.Notes = append(s.Notes, ignored(c, root)...)
	case holdsExercises(c, root):
		s.Exercises = root
	default:
		s.Notes = append(s.Notes, "no exercises/ folder and no exercise folder (NN-name) in it: every exercise is missing")
	}
	return s
}

// holdsExercises reports whether dir has a folder named as one of the
// course's exercises.
func holdsExercises(c *course.Course, dir string) bool {
	for _, e := range c.Exercises {
		if isDir(filepath.Join(dir, e.Name)) {
			return true
		}
	}
	return false
}

// trusted are the parts of a checkout that grading takes from the
// grader's own copy, with why.
var trusted = []struct{ path, why string }{
	{"testdata", "the grader's rules decide"},
	{"mp", "programs build with the grader's mp"},
	{"go.mod", "programs build in the grader's module"},
	{"go.sum", "programs build in the grader's module"},
	{"cmd", "the grader's own grade runs"},
	{"internal", "the grader's own grade runs"},
}

// ignored names, per trusted part, the submission's files that differ
// from the grader's or that the grader does not have.
func ignored(c *course.Course, root string) []string {
	var notes []string
	for _, t := range trusted {
		var differ []string
		filepath.WalkDir(filepath.Join(root, t.path), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			rel, _ := filepath.Rel(root, p)
			rel = filepath.ToSlash(rel)
			mine, err1 := os.ReadFile(p)
			theirs, err2 := c.ReadFile(rel)
			if err1 != nil || err2 != nil || !bytes.Equal(mine, theirs) {
				differ = append(differ, rel)
			}
			return nil
		})
		if len(differ) == 0 {
			continue
		}
		list := strings.Join(differ[:min(3, len(differ))], ", ")
		if len(differ) > 3 {
			list += fmt.Sprintf(" and %d more", len(differ)-3)
		}
		notes = append(notes, fmt.Sprintf("ignored %s (it differs from the grader's copy): %s", list, t.why))
	}
	return notes
}

// Cell returns how the submission holds exercise e: Missing, Unchanged or
// Graded, with the folder to build for Graded.
func (s *Submission) Cell(c *course.Course, e *course.Exercise) (kind, source string) {
	if s.Exercises == "" {
		return Missing, ""
	}
	dir := filepath.Join(s.Exercises, e.Name)
	mine := goFiles(dir)
	if len(mine) == 0 {
		return Missing, ""
	}
	stub := goFiles(filepath.Join(c.Root, filepath.FromSlash(e.Dir)))
	if len(stub) == len(mine) {
		same := true
		for name, b := range mine {
			if s, ok := stub[name]; !ok || !bytes.Equal(s, b) {
				same = false
				break
			}
		}
		if same {
			return Unchanged, ""
		}
	}
	return Graded, dir
}

// goFiles reads the .go files of dir that go build would compile.
func goFiles(dir string) map[string][]byte {
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	out := map[string][]byte{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		if b, err := os.ReadFile(f); err == nil {
			out[filepath.Base(f)] = b
		}
	}
	return out
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// names returns the students of subs, in order.
func names(subs []Submission) []string {
	var out []string
	for _, s := range subs {
		out = append(out, s.Student)
	}
	return slices.Clip(out)
}
