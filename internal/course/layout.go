package course

import (
	"fmt"
	"path"
	"strings"
)

// Check reports, file by file, what the course lacks or holds for no
// exercise, in the spirit of rustlings' `dev check`: every exercise has
// both READMEs, a stub with a TODO, rules, a solution, at least two
// known-wrong programs that apply, a Python original, a title and hints in
// both languages; and no instructor file belongs to no exercise. It does
// not run anything: the course test grades every stub, solution and
// known-wrong program.
func (c *Course) Check() []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	for _, e := range c.Exercises {
		for _, f := range []string{e.Dir + "/README.md", e.Dir + "/README.zh.md", e.Stub(), e.Rules, e.Solution() + "/main.go", e.Original()} {
			if !c.Exists(f) {
				add("%s: missing (%s needs it; see docs/DEVELOPMENT.md, Adding an exercise)", f, e.Name)
			}
		}
		if stub, err := c.ReadFile(e.Stub()); err == nil && !strings.Contains(string(stub), "// TODO") {
			add("%s: the stub has no `// TODO` marking what the learner changes", e.Stub())
		}
		if c.Exists(e.Stub()) && c.Exists(e.Solution()+"/main.go") {
			if !c.Exists(e.StubPatch()) {
				add("%s: missing; make it with %s", e.StubPatch(), stubDiffCommand(e))
			} else if ok, err := c.Untouched(e); err != nil {
				add("%v", err)
			} else if !ok {
				add("%s: applied to the solution, it does not give %s; remake it with %s", e.StubPatch(), e.Stub(), stubDiffCommand(e))
			}
		}
		meta := e.Material + "/exercise.json"
		if e.Meta.Title.En == "" || e.Meta.Title.Zh == "" {
			add("%s: the title needs both \"en\" and \"zh\"", meta)
		}
		if e.Meta.Chapter < 1 {
			add("%s: \"chapter\" must be 1 or more", meta)
		}
		if len(e.Meta.Hints) < 2 {
			add("%s: %d hints; give at least two, from a nudge to nearly the answer, in \"en\" and \"zh\"", meta, len(e.Meta.Hints))
		}
		for i, h := range e.Meta.Hints {
			if strings.TrimSpace(h.En) == "" || strings.TrimSpace(h.Zh) == "" {
				add("%s: hint %d needs both \"en\" and \"zh\"", meta, i+1)
			}
		}
		for _, q := range e.Meta.Equivalent {
			if q.Mutation == "" || q.Why == "" {
				add("%s: every equivalent mutation needs \"mutation\" and a one-line \"why\"", meta)
			}
		}
		if len(e.Wrong) < 2 {
			add("%s/wrong: %d known-wrong programs; write at least two, each a patch against solution/main.go", e.Material, len(e.Wrong))
		}
		for i := range e.Wrong {
			if _, err := c.Program(e, &e.Wrong[i]); err != nil && c.Exists(e.Solution()+"/main.go") {
				add("%v", err)
			}
		}
		for _, f := range c.walkFiles(e.Material) {
			rel := strings.TrimPrefix(f, e.Material+"/")
			switch {
			case rel == "exercise.json" || rel == "original.py" || rel == "stub.patch":
			case strings.HasPrefix(rel, "solution/") && !strings.Contains(strings.TrimPrefix(rel, "solution/"), "/"):
			case strings.HasPrefix(rel, "wrong/") && path.Ext(rel) == ".patch" && !strings.Contains(strings.TrimPrefix(rel, "wrong/"), "/"):
			default:
				add("%s: an instructor file the course does not know; move it into solution/ or wrong/, or remove it", f)
			}
		}
	}
	for _, f := range c.walkFiles("testdata/scripts") {
		rel := strings.TrimPrefix(f, "testdata/scripts/")
		name, _, _ := strings.Cut(rel, "/")
		name = strings.TrimSuffix(name, ".txtar")
		if strings.HasPrefix(name, "cli_") || c.Lookup(name) != nil {
			continue
		}
		add("%s: belongs to no exercise (there is no exercises/%s); remove it or add the exercise", f, name)
	}
	return problems
}
