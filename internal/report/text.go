package report

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/forklore/forklore/internal/engine"
	"github.com/forklore/forklore/internal/i18n"
)

// Text writes the report for people.
type Text struct {
	W       io.Writer
	Lang    string // "zh" for Chinese, else English
	Colour  bool   // paint with ANSI colours
	Verbose bool   // every check, not only failures
}

func (t *Text) paint(code, s string) string {
	if !t.Colour {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

// Line writes one line for a result, as soon as it is known.
func (t *Text) Line(r *Result) {
	switch {
	case r.NotStarted:
		fmt.Fprintf(t.W, "%s %s: %s\n", t.paint("2", "·"), r.Target.Label(), i18n.T(t.Lang, "not started"))
		return
	}
	switch r.Status() {
	case engine.Pass:
		fmt.Fprintf(t.W, "%s %s\n", t.paint("32", "✓"), r.Target.Label())
	case engine.Error:
		fmt.Fprintf(t.W, "%s %s: %s\n", t.paint("31", "✗"), r.Target.Label(), i18n.T(t.Lang, "grading could not judge it"))
	default:
		h := r.Verdict.Headline()
		if h.Status == engine.Timeout {
			fmt.Fprintf(t.W, "%s %s: %s: %s\n", t.paint("31", "✗"), r.Target.Label(), Clean(h.RuleIn(t.Lang)), i18n.T(t.Lang, "timeout"))
		} else {
			fmt.Fprintf(t.W, "%s %s: %s\n", t.paint("31", "✗"), r.Target.Label(), Clean(h.RuleIn(t.Lang)))
		}
	}
	if r.Verdict == nil {
		return
	}
	notes := r.Verdict.NotesIn(t.Lang)
	for _, c := range r.Verdict.Checks {
		if t.Verbose {
			fmt.Fprintf(t.W, "    %-7s %s\n", c.Status, Clean(c.RuleIn(t.Lang)))
		}
		for _, n := range c.NotesIn(t.Lang) {
			if !slices.Contains(notes, n) {
				notes = append(notes, n)
			}
		}
	}
	for _, n := range notes {
		fmt.Fprintf(t.W, "    %s\n", t.paint("2", i18n.T(t.Lang, "note: %s", n)))
	}
}

// Explain writes the summary and the first failure in full, with the
// next step.
func (t *Text) Explain(rs []Result) {
	var bad []*Result
	for i := range rs {
		if rs[i].Status() != engine.Pass {
			bad = append(bad, &rs[i])
		}
	}
	if len(bad) == 0 {
		fmt.Fprintf(t.W, "\n%s\n", i18n.T(t.Lang, "all %d passed", len(rs)))
		return
	}
	fmt.Fprintf(t.W, "\n%s\n\n", i18n.T(t.Lang, "%d of %d passed", len(rs)-len(bad), len(rs)))
	// A graded failure says more than a stub not started.
	r := bad[0]
	for _, b := range bad {
		if !b.NotStarted {
			r = b
			break
		}
	}
	t.explain(r)
	var others []string
	for _, b := range bad {
		if b != r && b.Timeline != "" {
			others = append(others, b.Timeline)
		}
	}
	if len(others) > 0 {
		fmt.Fprintf(t.W, "\n%s\n", i18n.T(t.Lang, "the failing runs of the others: open %s", strings.Join(others, ", ")))
	}
}

// explain writes one result that did not pass in full: why, the output,
// the consequences, the rule, the pauses, how to reproduce it and the
// next step.
func (t *Text) explain(r *Result) {
	if r.NotStarted {
		fmt.Fprintf(t.W, "%s %s\n", t.paint("1", r.Target.Label()+":"), i18n.T(t.Lang, "not started: the stub as shipped fails until you complete it, as expected"))
		fmt.Fprintf(t.W, "  %s\n", nextStep(r, t.Lang))
		return
	}
	if r.Err != nil {
		fmt.Fprintf(t.W, "%s %s\n", t.paint("1", r.Target.Label()+":"), i18n.T(t.Lang, "grading could not judge it"))
		fmt.Fprint(t.W, indent(Clean(r.Err.Error()), "  "))
		fmt.Fprintf(t.W, "  %s\n", nextStep(r, t.Lang))
		return
	}
	v := r.Verdict
	h := v.Headline()
	fmt.Fprintf(t.W, "%s %s\n", t.paint("1", r.Target.Label()+":"), Clean(h.RuleIn(t.Lang)))
	fmt.Fprint(t.W, indent(cleanLines(why(t.Lang, v, h)), "  "))
	if out := excerpt(h); out != "" {
		if h.In == engine.TraceFile {
			fmt.Fprintf(t.W, "  %s\n%s", i18n.T(t.Lang, "trace:"), indent(out, "  "))
		} else if h.In != "" {
			fmt.Fprintf(t.W, "  %s\n%s", i18n.T(t.Lang, "source (%s):", h.In), indent(out, "  "))
		} else {
			fmt.Fprintf(t.W, "  %s\n%s", i18n.T(t.Lang, "output:"), indent(out, "  "))
		}
	}
	for i := range v.Checks {
		c := &v.Checks[i]
		if c.Consequence {
			fmt.Fprintf(t.W, "  %s\n", i18n.T(t.Lang, "also broken, as a consequence: %s", Clean(c.RuleIn(t.Lang))))
		}
	}
	if h.Pos.Line > 0 && v.Compile == nil {
		fmt.Fprintf(t.W, "  %s\n", i18n.T(t.Lang, "rule: %s:%d", h.Pos.File, h.Pos.Line))
	}
	for _, p := range v.Pauses {
		fmt.Fprintf(t.W, "  %s\n", i18n.T(t.Lang, "in this run the grader paused %s for %v at %s", p.Process, p.For, p.At))
	}
	if v.Reproduce != "" {
		if v.Compile != nil {
			fmt.Fprintf(t.W, "  %s\n", i18n.T(t.Lang, "reproduce: %s", v.Reproduce))
		} else {
			fmt.Fprintf(t.W, "  %s\n", i18n.T(t.Lang, "reproduce: %s (same seed, same perturbation; the OS may still schedule differently)", v.Reproduce))
		}
	}
	if r.Timeline != "" {
		fmt.Fprintf(t.W, "  %s\n", i18n.T(t.Lang, "see the run: open %s in a browser", r.Timeline))
	}
	fmt.Fprintf(t.W, "  %s\n", nextStep(r, t.Lang))
}

// cleanLines is Clean line by line: a message of several lines, such as
// the compiler's, keeps its lines.
func cleanLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = Clean(l)
	}
	return strings.Join(lines, "\n")
}

func indent(s, prefix string) string {
	s = strings.TrimRight(s, "\n")
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix) + "\n"
}
