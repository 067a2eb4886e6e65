// Package course is the model of forklore's course: which exercises there
// are, where each one's files live, and what its metadata says, much as
// go/build is the model of where a package's files live. The grader's
// command line, the project's tests and the docs all read the course
// through it, and nothing else knows the layout.
//
// # Layout
//
// Every exercise NN-name has two places:
//
//	exercises/NN-name/              what the learner sees and edits
//	    main.go                     the stub, with // TODO at each change
//	    README.md, README.zh.md     the task, in English and in Chinese
//	testdata/scripts/NN-name.txtar  the rules (a testscript file) and the
//	                                files each run starts with
//	testdata/scripts/NN-name/       everything else its author owns
//	    exercise.json               title, chapter, points, time limit,
//	                                observation channels, hints, equivalents
//	    solution/main.go            the reference solution
//	    wrong/NAME.patch            known-wrong programs, each a unified diff
//	                                against solution/main.go, after a
//	                                description and a "Breaks: TEXT" line
//	                                naming the rule it must break
//	    original.py                 the Python original
//	    stub.patch                  the stub as shipped, a unified diff
//	                                against solution/main.go, so that
//	                                the grader tells an untouched stub
//	                                and restores it without git
//
// Check reports what is missing or orphaned; docs/DEVELOPMENT.md has the
// checklist for adding an exercise.
package course

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Text is a message in the course's two languages.
type Text struct {
	En string `json:"en"`
	Zh string `json:"zh"`
}

// In returns the text in lang ("zh" or anything else for English),
// falling back to English where no translation exists.
func (t Text) In(lang string) string {
	if lang == "zh" && t.Zh != "" {
		return t.Zh
	}
	return t.En
}

// Duration is a time.Duration written as "3s" in JSON.
type Duration time.Duration

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a duration such as \"3s\"")
	}
	v, err := time.ParseDuration(s)
	if err != nil || v <= 0 {
		return fmt.Errorf("%q is not a positive duration such as \"3s\"", s)
	}
	*d = Duration(v)
	return nil
}

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// The observation channels an exercise may need besides the output.
const (
	ChannelTrace   = "trace"   // the mp trace: processes, joins, locks, queues
	ChannelRace    = "race"    // a build with the race detector, for programs with goroutines
	ChannelSource  = "source"  // an analysis of the learner's source
	ChannelSockets = "sockets" // the server's open connections, after its clients are gone
)

var channels = []string{ChannelRace, ChannelSockets, ChannelSource, ChannelTrace}

// Visibilities are the values of Meta.Visibility, as Gradescope names
// them.
var Visibilities = []string{"visible", "after_published", "after_due_date", "hidden"}

// Meta is an exercise's exercise.json.
type Meta struct {
	Title   Text `json:"title"`
	Chapter int  `json:"chapter"`
	// Points is what passing is worth; zero means 1.
	Points int `json:"points,omitempty"`
	// Timeout is how long one run may take before it counts as hung, on an
	// unloaded machine; the grader scales it with the machine's load.
	// Zero means 3s.
	Timeout Duration `json:"timeout,omitempty"`
	// Channels lists what the rules observe besides the output.
	Channels []string `json:"channels,omitempty"`
	// Hints are shown one more per `grade hint`, in order: the first
	// nudges, the last nearly tells.
	Hints []Text `json:"hints"`
	// Visibility is when Gradescope shows the exercise's result to a
	// student: "visible", "after_due_date", "after_published" or
	// "hidden" (Gradescope's own words). Empty means the grader's
	// -gradescope-visibility, else visible. The exercise is the unit: a
	// rule cannot be hidden alone, since its exercise's score shows it.
	Visibility string `json:"visibility,omitempty"`
	// Equivalent lists mechanical mutations of the solution that the rules
	// cannot catch because the program stays correct, each with a reason.
	Equivalent []Equivalent `json:"equivalent,omitempty"`
}

// Equivalent is a mutation that leaves the program correct.
type Equivalent struct {
	Mutation string `json:"mutation"` // as the mutation tool names it
	Why      string `json:"why"`
}

// Exercise is one exercise of the course. Paths are slash-separated and
// relative to the course root.
type Exercise struct {
	Name     string // as in 01-start-target
	Number   int    // as in 1
	Dir      string // exercises/01-start-target
	Rules    string // testdata/scripts/01-start-target.txtar
	Material string // testdata/scripts/01-start-target
	Meta     Meta
	Wrong    []Wrong
}

// Stub returns the path of the learner's main.go.
func (e *Exercise) Stub() string { return e.Dir + "/main.go" }

// Solution returns the directory of the reference solution.
func (e *Exercise) Solution() string { return e.Material + "/solution" }

// Original returns the path of the Python original.
func (e *Exercise) Original() string { return e.Material + "/original.py" }

// Points returns what passing the exercise is worth.
func (e *Exercise) Points() int { return max(e.Meta.Points, 1) }

// Timeout returns the time limit of one run on an unloaded machine.
func (e *Exercise) Timeout() time.Duration {
	if e.Meta.Timeout == 0 {
		return 3 * time.Second
	}
	return time.Duration(e.Meta.Timeout)
}

// Needs reports whether the exercise's rules observe the channel.
func (e *Exercise) Needs(channel string) bool { return slices.Contains(e.Meta.Channels, channel) }

// Title returns the exercise's title in lang.
func (e *Exercise) Title(lang string) string { return e.Meta.Title.In(lang) }

// Course is every exercise below a root.
type Course struct {
	Root      string // absolute
	Exercises []*Exercise
	// RulesFrom says where the rules and instructor files were read:
	// "" for the course's own testdata/scripts, else what Load was given.
	RulesFrom string
	rules     fs.FS // testdata/scripts
}

// scripts is the folder of the rules and instructor material.
const scripts = "testdata/scripts"

var exerciseName = regexp.MustCompile(`^(\d\d)-[a-z0-9]+(-[a-z0-9]+)*$`)

// LayoutError lists the problems Load found, each naming a file and what
// to do about it.
type LayoutError struct{ Problems []string }

func (e *LayoutError) Error() string {
	return "course: " + strings.Join(e.Problems, "\ncourse: ")
}

// Load reads the course at root. An exercise with missing or malformed
// files is still returned, with every problem in a *LayoutError, so that
// a caller grading one exercise is not stopped by another.
func Load(root string) (*Course, error) { return LoadRules(root, nil, "") }

// LoadRules reads the course at root, taking the rules and instructor
// files (what root's testdata/scripts holds) from rules instead, when it
// is not nil: a trusted copy, such as the one built into the grader or a
// teacher's checkout, so that a student's own testdata/ is never read.
// from names that copy in messages.
func LoadRules(root string, rules fs.FS, from string) (*Course, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	c := &Course{Root: root, rules: rules, RulesFrom: from}
	if rules == nil {
		c.rules, c.RulesFrom = os.DirFS(filepath.Join(root, scripts)), ""
	}
	entries, err := os.ReadDir(filepath.Join(root, "exercises"))
	if err != nil {
		return nil, fmt.Errorf("course: %w; run grade inside a forklore checkout", err)
	}
	var problems []string
	for _, d := range entries {
		if !d.IsDir() {
			continue
		}
		m := exerciseName.FindStringSubmatch(d.Name())
		if m == nil {
			problems = append(problems, fmt.Sprintf("exercises/%s: an exercise folder is named NN-words-with-dashes, as in 01-start-target", d.Name()))
			continue
		}
		e := &Exercise{
			Name:     d.Name(),
			Dir:      "exercises/" + d.Name(),
			Rules:    "testdata/scripts/" + d.Name() + ".txtar",
			Material: "testdata/scripts/" + d.Name(),
		}
		e.Number, _ = strconv.Atoi(m[1])
		problems = append(problems, c.load(e)...)
		c.Exercises = append(c.Exercises, e)
	}
	if len(problems) > 0 {
		return c, &LayoutError{problems}
	}
	return c, nil
}

func (c *Course) abs(rel string) string { return filepath.Join(c.Root, filepath.FromSlash(rel)) }

// load reads an exercise's metadata and known-wrong programs.
func (c *Course) load(e *Exercise) (problems []string) {
	meta := e.Material + "/exercise.json"
	if b, err := c.ReadFile(meta); err != nil {
		problems = append(problems, fmt.Sprintf("%s: missing; every exercise has one (see docs/DEVELOPMENT.md, Adding an exercise)", meta))
	} else {
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e.Meta); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", meta, err))
		}
	}
	for _, ch := range e.Meta.Channels {
		if !slices.Contains(channels, ch) {
			problems = append(problems, fmt.Sprintf("%s: unknown channel %q; use %s", meta, ch, strings.Join(channels, ", ")))
		}
	}
	if v := e.Meta.Visibility; v != "" && !slices.Contains(Visibilities, v) {
		problems = append(problems, fmt.Sprintf("%s: unknown visibility %q; use %s", meta, v, strings.Join(Visibilities, ", ")))
	}
	files, _ := fs.Glob(c.rules, strings.TrimPrefix(e.Material, scripts+"/")+"/wrong/*.patch")
	for _, f := range files {
		b, err := fs.ReadFile(c.rules, f)
		var w Wrong
		if err == nil {
			w, err = parseWrong(Wrong{Name: strings.TrimSuffix(path.Base(f), ".patch")}, string(b))
		}
		w.File = scripts + "/" + f
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", w.File, err))
			continue
		}
		e.Wrong = append(e.Wrong, w)
	}
	return problems
}

// material returns the name of rel inside the rules, if it is one of them.
func material(rel string) (string, bool) { return strings.CutPrefix(rel, scripts+"/") }

// ReadFile reads a file of the course by its slash-separated relative
// path; rules and instructor files come from wherever LoadRules took them.
func (c *Course) ReadFile(rel string) ([]byte, error) {
	if m, ok := material(rel); ok {
		b, err := fs.ReadFile(c.rules, m)
		if err != nil && c.RulesFrom != "" {
			return nil, fmt.Errorf("%s: not in the rules from %s (is the grader's course the same version as this one?)", rel, c.RulesFrom)
		}
		return b, err
	}
	return os.ReadFile(c.abs(rel))
}

// Exists reports whether a file or folder of the course exists.
func (c *Course) Exists(rel string) bool {
	if m, ok := material(rel); ok {
		_, err := fs.Stat(c.rules, m)
		return err == nil
	}
	_, err := os.Stat(c.abs(rel))
	return err == nil
}

// Lookup returns the exercise with the given name, or nil.
func (c *Course) Lookup(name string) *Exercise {
	for _, e := range c.Exercises {
		if e.Name == name {
			return e
		}
	}
	return nil
}

// FindRoot walks up from dir to the folder holding go.mod and exercises/.
func FindRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			if _, err := os.Stat(filepath.Join(d, "exercises")); err == nil {
				return d, nil
			}
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no forklore course (go.mod and exercises/) in %s or above; run grade inside your forklore checkout", dir)
		}
	}
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// walkFiles lists the files below rel, slash-separated and relative to
// the root; a missing folder lists nothing.
func (c *Course) walkFiles(rel string) []string {
	var out []string
	if m, ok := material(rel + "/"); ok || rel == scripts {
		fs.WalkDir(c.rules, strings.TrimSuffix(cmpOr(m, "."), "/"), func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				out = append(out, scripts+"/"+p)
			}
			return nil
		})
		return out
	}
	filepath.WalkDir(c.abs(rel), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			r, _ := filepath.Rel(c.Root, p)
			out = append(out, filepath.ToSlash(r))
		}
		return nil
	})
	return out
}
