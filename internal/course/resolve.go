package course

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Kind says which of an exercise's programs is graded.
type Kind int

const (
	Learner  Kind = iota // exercises/NN-name: the learner's program
	Solution             // the reference solution
	Mistake              // a known-wrong program
)

// Target is one program to grade: an exercise and which of its programs.
type Target struct {
	*Exercise
	Kind  Kind
	Wrong *Wrong // the known-wrong program, for Mistake
}

// Package returns the folder that is built, relative to the course root.
func (t Target) Package() string {
	if t.Kind == Learner {
		return t.Dir
	}
	return t.Solution()
}

// Source returns the file a person edits to change the program.
func (t Target) Source() string {
	switch t.Kind {
	case Solution:
		return t.Solution() + "/main.go"
	case Mistake:
		return t.Wrong.File
	}
	return t.Stub()
}

// Label names the target in reports: "01-start-target", or with
// " (solution)" or " (wrong: join-each)" after it.
func (t Target) Label() string {
	switch t.Kind {
	case Solution:
		return t.Name + " (solution)"
	case Mistake:
		return t.Name + " (wrong: " + t.Wrong.Name + ")"
	}
	return t.Name
}

// Arg returns a command-line argument that resolves to this target.
func (t Target) Arg() string {
	switch t.Kind {
	case Solution:
		return "./" + t.Solution()
	case Mistake:
		return "./" + t.Wrong.File
	}
	return "./" + t.Dir
}

// UnknownError is returned by Resolve for an argument that names no
// exercise; Suggestions are the closest names.
type UnknownError struct {
	Arg         string
	Suggestions []string
}

func (e *UnknownError) Error() string {
	s := fmt.Sprintf("no exercise %q", e.Arg)
	if len(e.Suggestions) > 0 {
		s += "; did you mean " + strings.Join(e.Suggestions, " or ") + "?"
	}
	return s + " (`grade list` shows every exercise)"
}

// Resolve turns command-line arguments, relative to cwd, into targets:
//
//   - ./exercises/... (or exercises, or ...): every exercise;
//   - a folder or file of an exercise, as in exercises/01-start-target,
//     ./main.go or . inside it: that exercise;
//   - a name, a number or a unique prefix: 01-start-target, 1, 01-start;
//   - testdata/scripts/NN-name/solution: the reference solution, and
//     testdata/scripts/NN-name/wrong/NAME.patch: a known-wrong program.
//
// With no arguments it returns every exercise.
func (c *Course) Resolve(cwd string, args []string) ([]Target, error) {
	if len(args) == 0 {
		args = []string{"./exercises/..."}
	}
	var out []Target
	for _, arg := range args {
		ts, err := c.resolve(cwd, arg)
		if err != nil {
			return nil, err
		}
		for _, t := range ts {
			if !slices.ContainsFunc(out, func(o Target) bool { return o.Exercise == t.Exercise && o.Kind == t.Kind && o.Wrong == t.Wrong }) {
				out = append(out, t)
			}
		}
	}
	return out, nil
}

func (c *Course) all() []Target {
	var ts []Target
	for _, e := range c.Exercises {
		ts = append(ts, Target{Exercise: e})
	}
	return ts
}

func (c *Course) resolve(cwd, arg string) ([]Target, error) {
	clean := strings.TrimSuffix(strings.TrimSuffix(filepath.ToSlash(arg), "/"), "/...")
	if clean == "..." || clean == "" {
		return c.all(), nil
	}
	abs := arg
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(cwd, arg)
	}
	abs = strings.TrimSuffix(filepath.ToSlash(filepath.Clean(abs)), "/...")
	if rel, err := filepath.Rel(c.Root, filepath.FromSlash(abs)); err == nil && !strings.HasPrefix(rel, "..") {
		rel = filepath.ToSlash(rel)
		if ts, ok := c.resolvePath(rel); ok {
			return ts, nil
		}
		if strings.ContainsAny(arg, "*?[") {
			if ts := c.glob(rel); len(ts) > 0 {
				return ts, nil
			}
		}
	}
	// A name, a number or a prefix, as typed.
	name := strings.TrimPrefix(strings.TrimPrefix(clean, "./"), "exercises/")
	if n, err := strconv.Atoi(name); err == nil {
		for _, e := range c.Exercises {
			if e.Number == n {
				return []Target{{Exercise: e}}, nil
			}
		}
	}
	var matches []*Exercise
	for _, e := range c.Exercises {
		if e.Name == name {
			return []Target{{Exercise: e}}, nil
		}
		if strings.HasPrefix(e.Name, name) || strings.HasPrefix(e.Name[3:], name) {
			matches = append(matches, e)
		}
	}
	if len(matches) == 1 {
		return []Target{{Exercise: matches[0]}}, nil
	}
	return nil, &UnknownError{Arg: arg, Suggestions: c.closest(name)}
}

// resolvePath resolves a path relative to the root.
func (c *Course) resolvePath(rel string) ([]Target, bool) {
	parts := strings.Split(rel, "/")
	switch {
	case rel == "." || rel == "exercises":
		return c.all(), true
	case parts[0] == "exercises":
		if e := c.Lookup(parts[1]); e != nil {
			return []Target{{Exercise: e}}, true
		}
	case len(parts) >= 3 && parts[0] == "testdata" && parts[1] == "scripts":
		e := c.Lookup(strings.TrimSuffix(parts[2], ".txtar"))
		if e == nil {
			return nil, false
		}
		if len(parts) == 3 {
			return []Target{{Exercise: e}}, true
		}
		switch parts[3] {
		case "solution":
			return []Target{{Exercise: e, Kind: Solution}}, true
		case "wrong":
			if len(parts) == 4 {
				var ts []Target
				for i := range e.Wrong {
					ts = append(ts, Target{Exercise: e, Kind: Mistake, Wrong: &e.Wrong[i]})
				}
				return ts, true
			}
			for i := range e.Wrong {
				if e.Wrong[i].File == strings.Join(parts[:5], "/") {
					return []Target{{Exercise: e, Kind: Mistake, Wrong: &e.Wrong[i]}}, true
				}
			}
		}
	}
	return nil, false
}

func (c *Course) glob(rel string) []Target {
	var ts []Target
	for _, e := range c.Exercises {
		if ok, _ := filepath.Match(rel, e.Dir); ok {
			ts = append(ts, Target{Exercise: e})
		}
	}
	return ts
}

// closest returns up to two exercise names nearest to s.
func (c *Course) closest(s string) []string {
	type cand struct {
		name string
		d    int
	}
	var cs []cand
	for _, e := range c.Exercises {
		d := min(distance(s, e.Name), distance(s, e.Name[3:]))
		if len(s) >= 2 && strings.HasPrefix(e.Name, s[:2]) {
			d = min(d, 2)
		}
		cs = append(cs, cand{e.Name, d})
	}
	slices.SortStableFunc(cs, func(a, b cand) int { return a.d - b.d })
	var out []string
	for _, x := range cs {
		if len(out) == 2 || x.d > max(3, len(s)/2) {
			break
		}
		out = append(out, x.name)
	}
	return out
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
