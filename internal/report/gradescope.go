package report

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/forklore/forklore/internal/engine"
)

// Gradescope writes the results.json of Gradescope's autograder
// specification for one submission: one test per exercise, worth the
// exercise's points. A zero Gradescope is all-or-nothing scoring with
// every test visible. docs/teaching.md documents the fields.
type Gradescope struct {
	Scoring
	// Visibility, if not empty, is the top-level visibility ("visible",
	// "after_due_date", "after_published" or "hidden"); an exercise whose
	// exercise.json names its own visibility overrides it for its test.
	Visibility string
	// Elapsed, if not zero, is written as execution_time, in seconds.
	Elapsed time.Duration
	// Notes are said once, in the top-level output, as "the grader
	// ignored your testdata/".
	Notes []string
}

// The results.json fields this grader writes; the names and meanings are
// Gradescope's.
type (
	gradescopeTop struct {
		Score         float64          `json:"score"`
		ExecutionTime int              `json:"execution_time,omitempty"`
		Output        string           `json:"output"`
		Visibility    string           `json:"visibility,omitempty"`
		Tests         []gradescopeTest `json:"tests"`
	}
	gradescopeTest struct {
		Name       string  `json:"name"`
		Number     string  `json:"number"`
		Score      float64 `json:"score"`
		MaxScore   float64 `json:"max_score"`
		Status     string  `json:"status"`
		Output     string  `json:"output"`
		Visibility string  `json:"visibility,omitempty"`
	}
)

// Write writes results.json for rs, the exercises of one submission.
func (g Gradescope) Write(w io.Writer, rs []Result) error {
	top := gradescopeTop{Visibility: g.Visibility, Tests: []gradescopeTest{}}
	if g.Elapsed > 0 {
		top.ExecutionTime = int(math.Ceil(g.Elapsed.Seconds()))
	}
	var max float64
	top.Score, max = g.Total(rs)
	var out strings.Builder
	out.WriteString("Score: " + points(top.Score) + " of " + points(max) + "\n")
	for _, n := range g.Notes {
		out.WriteString("Note: " + Clean(n) + "\n")
	}
	top.Output = out.String()
	for i := range rs {
		r := &rs[i]
		t := gradescopeTest{Name: r.Target.Label(), Number: strconv.Itoa(r.Target.Number), Status: "failed",
			Visibility: r.Target.Meta.Visibility, Output: detail(r)}
		if title := r.Target.Title("en"); title != "" {
			t.Name = title
		}
		t.Score, t.MaxScore = g.Score(r)
		if r.Status() == engine.Pass {
			t.Status = "passed"
		}
		top.Tests = append(top.Tests, t)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // a rule's <pid> is read, not rendered
	return enc.Encode(top)
}

// detail is a result as a student reads it outside a terminal: every
// rule with its status and, for a result that did not pass, why, the
// output, how to reproduce it and the next step.
func detail(r *Result) string {
	var b bytes.Buffer
	t := &Text{W: &b, Verbose: true}
	t.Line(r)
	if r.Status() != engine.Pass {
		b.WriteString("\n")
		t.explain(r)
	}
	return b.String()
}

// points formats a score without a trailing ".00".
func points(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
