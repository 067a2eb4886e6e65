package class

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/forklore/forklore/internal/course"
)

// What a generated submission deserves on one exercise.
const (
	DeservePass      = "pass"      // the reference solution
	DeserveWrong     = "wrong"     // a known-wrong program: fail or timeout, 0 points
	DeserveNoCompile = "nocompile" // fail: does not compile
	DeserveMissing   = Missing
	DeserveUnchanged = Unchanged
)

// Expected is what a generated student deserves, exercise by exercise.
type Expected struct {
	Student string
	Deserve map[string]string // exercise name → Deserve*
	Note    string            // a note the row must carry, or ""
}

// GenerateParams configures Generate.
type GenerateParams struct {
	// Exercises are the exercises each submission holds. Nil means all.
	Exercises []*course.Exercise
	// Wrong, if not nil, picks the known-wrong program of exercise e for
	// the i-th student who submits known-wrong programs; nil cycles
	// through them all.
	Wrong func(e *course.Exercise, i int) *course.Wrong
}

// Generate writes a demonstration class of 30 submissions into dir (which
// must not exist yet) and returns what each deserves. It mixes every case
// a teacher meets: reference solutions (as checkouts, bare exercises/
// folders and an unpacked zip), known-wrong programs, untouched stubs, a
// submission whose edited rules accept anything and one with its own mp
// (neither may help), one
// that does not compile, an empty folder, one with exercises missing and
// one half done.
func Generate(c *course.Course, dir string, p GenerateParams) ([]Expected, error) {
	if _, err := os.Stat(dir); err == nil {
		return nil, fmt.Errorf("class: %s exists; give a new folder", dir)
	}
	es := p.Exercises
	if es == nil {
		es = c.Exercises
	}
	if p.Wrong == nil {
		p.Wrong = func(e *course.Exercise, i int) *course.Wrong {
			if len(e.Wrong) == 0 {
				return nil
			}
			return &e.Wrong[i%len(e.Wrong)]
		}
	}
	g := &generator{c: c, dir: dir, es: es}
	solution := func(e *course.Exercise) ([]byte, string, error) {
		b, err := c.ReadFile(e.Solution() + "/main.go")
		return b, DeservePass, err
	}
	stub := func(e *course.Exercise) ([]byte, string, error) {
		b, err := c.ReadFile(e.Stub())
		return b, DeserveUnchanged, err
	}
	wrong := func(i int) func(e *course.Exercise) ([]byte, string, error) {
		return func(e *course.Exercise) ([]byte, string, error) {
			w := p.Wrong(e, i)
			if w == nil {
				return nil, "", fmt.Errorf("class: %s has no known-wrong program", e.Name)
			}
			b, err := c.Program(e, w)
			return b, DeserveWrong, err
		}
	}
	for i := range 11 {
		layout := []string{"checkout", "exercises", "zip"}[i%3]
		g.add(fmt.Sprintf("reference-%02d", i+1), layout, solution)
	}
	for i := range 8 {
		g.add(fmt.Sprintf("wrong-%02d", i+1), "checkout", wrong(i))
	}
	for i := range 5 {
		g.add(fmt.Sprintf("stub-%02d", i+1), "checkout", stub)
	}
	g.add("edited-rules", "checkout", wrong(8))
	for _, e := range es {
		// Rules that any program that exits passes: had the grader read
		// them, the known-wrong programs would pass.
		g.write("edited-rules", "testdata/scripts/"+e.Name+".txtar", []byte("# the student's rules: anything goes\nrun\n"))
	}
	g.expect[len(g.expect)-1].Note = "ignored testdata/scripts/"
	g.add("edited-mp", "checkout", wrong(9))
	// An mp that a student changed: programs build with the grader's.
	g.write("edited-mp", "mp/cheat.go", []byte("package mp\n\n// the student's mp\n"))
	g.expect[len(g.expect)-1].Note = "ignored mp/cheat.go"
	g.add("no-compile", "checkout", func(e *course.Exercise) ([]byte, string, error) {
		b, err := c.ReadFile(e.Solution() + "/main.go")
		return append(b, "\nfunc broken() { return 1 }\n"...), DeserveNoCompile, err
	})
	g.add("empty", "empty", nil)
	g.expect[len(g.expect)-1].Note = "empty"
	g.add("first-only", "checkout", func(e *course.Exercise) ([]byte, string, error) {
		if e == es[0] {
			return solution(e)
		}
		return nil, DeserveMissing, nil
	})
	g.add("half-done", "exercises", func(e *course.Exercise) ([]byte, string, error) {
		for i, x := range es {
			if x == e && i%2 == 1 {
				return stub(e)
			}
		}
		return solution(e)
	})
	return g.expect, g.err
}

type generator struct {
	c      *course.Course
	dir    string
	es     []*course.Exercise
	expect []Expected
	err    error
}

// add writes one student's folder: layout is checkout (go.mod and
// exercises/), exercises (the NN-name folders alone), zip (a checkout one
// folder down) or empty; program returns each exercise's main.go (nil:
// none) and what it deserves.
func (g *generator) add(student, layout string, program func(e *course.Exercise) ([]byte, string, error)) {
	x := Expected{Student: student, Deserve: map[string]string{}}
	defer func() { g.expect = append(g.expect, x) }()
	if err := os.MkdirAll(filepath.Join(g.dir, student), 0o777); err != nil && g.err == nil {
		g.err = err
	}
	prefix := ""
	switch layout {
	case "empty":
		for _, e := range g.es {
			x.Deserve[e.Name] = DeserveMissing
		}
		return
	case "zip":
		prefix = "forklore-main/"
		fallthrough
	case "checkout":
		mod, err := g.c.ReadFile("go.mod")
		if err != nil && g.err == nil {
			g.err = err
		}
		g.write(student, prefix+"go.mod", mod)
		prefix += "exercises/"
	}
	for _, e := range g.es {
		src, deserve, err := program(e)
		if err != nil && g.err == nil {
			g.err = err
		}
		x.Deserve[e.Name] = deserve
		if src != nil {
			g.write(student, prefix+e.Name+"/main.go", src)
		}
	}
}

func (g *generator) write(student, rel string, b []byte) {
	p := filepath.Join(g.dir, student, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil && g.err == nil {
		g.err = err
	}
	if err := os.WriteFile(p, b, 0o666); err != nil && g.err == nil {
		g.err = err
	}
}
