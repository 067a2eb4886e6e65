package report

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/forklore/forklore/internal/course"
	"github.com/forklore/forklore/internal/engine"
)

// teacherResults are one result of each kind, worth 1, 2, 3, 4 and 5
// points: a pass, a failure that passed rules of weight 2 of 4, a compile
// error, a timeout, and one that grading could not judge.
func teacherResults() []Result {
	ex := func(n int, name string) course.Target {
		e := &course.Exercise{Name: name, Number: n, Dir: "exercises/" + name, Rules: "testdata/scripts/" + name + ".txtar",
			Meta: course.Meta{Title: course.Text{En: name + ": a title"}, Points: n}}
		return course.Target{Exercise: e}
	}
	pass, fail, compile, hang, broken := ex(1, "01-a"), ex(2, "02-b"), ex(3, "03-c"), ex(4, "04-d"), ex(5, "05-e")
	fail.Meta.Visibility = "after_due_date"
	return []Result{
		{Target: pass, Verdict: &engine.Verdict{Target: pass, Status: engine.Pass, Runs: 20, Elapsed: time.Second,
			Checks: []engine.Check{{Rule: "it runs", Command: "run", Status: engine.Pass, Weight: 1}}}},
		{Target: fail, Verdict: &engine.Verdict{Target: fail, Status: engine.Fail, Runs: 20, Reproduce: "go run ./cmd/grade -n 1 -seed 9 ./exercises/02-b",
			Checks: []engine.Check{
				{Rule: "it runs", Command: "run", Status: engine.Pass, Weight: 1},
				{Rule: "it counts", Command: "count", Status: engine.Pass, Weight: 1},
				{Rule: "it orders", Command: "before", Status: engine.Fail, Weight: 2, Run: 3, Seed: 9, Why: "end before run",
					Excerpt: []engine.Line{{N: 1, Text: "end \x1b[31m"}}, Lines: []engine.Line{{N: 1}}},
				{Rule: "it traces", Command: "trace", Status: engine.Skip, Weight: 5},
			}}},
		{Target: compile, Verdict: &engine.Verdict{Target: compile, Status: engine.Fail,
			Compile: &engine.CompileError{File: "exercises/03-c/main.go", Line: 7, Output: "exercises/03-c/main.go:7:2: undefined: x"},
			Checks:  []engine.Check{{Rule: "the program compiles", Command: "build", Status: engine.Fail, Cause: true, Weight: 1}}}},
		{Target: hang, Verdict: &engine.Verdict{Target: hang, Status: engine.Timeout, Runs: 20,
			Checks: []engine.Check{{Rule: "it ends", Command: "run", Status: engine.Timeout, Cause: true, Weight: 1, Run: 1}}}},
		{Target: broken, Err: errors.New("rules broken")},
	}
}

func TestScoring(t *testing.T) {
	rs := teacherResults()
	tests := []struct {
		s     Scoring
		each  []float64
		total float64
	}{
		{Scoring{}, []float64{1, 0, 0, 0, 0}, 1},
		// 02-b passed weights 2 of 4 (the skipped rule counts for
		// neither): half its 2 points. A compile error, a timeout whose
		// only rule failed and an error score nothing.
		{Scoring{Partial: true}, []float64{1, 1, 0, 0, 0}, 2},
	}
	for _, tt := range tests {
		for i := range rs {
			got, max := tt.s.Score(&rs[i])
			if got != tt.each[i] || max != float64(i+1) {
				t.Errorf("%+v.Score(%s) = %v, %v; want %v, %d", tt.s, rs[i].Target.Name, got, max, tt.each[i], i+1)
			}
		}
		if got, max := tt.s.Total(rs); got != tt.total || max != 15 {
			t.Errorf("%+v.Total = %v, %v; want %v, 15", tt.s, got, max, tt.total)
		}
	}
	third := rs[1]
	v := *third.Verdict
	v.Checks = slices.Clone(v.Checks)
	v.Checks[1].Status = engine.Fail
	third.Verdict = &v
	if got, _ := (Scoring{Partial: true}).Score(&third); got != 0.5 {
		t.Errorf("Score with weight 1 of 4 passed, of 2 points = %v; want 0.5", got)
	}
}

// The results.json fields of Gradescope's specification that the grader
// writes, decoded strictly: every field known, the required ones present.
type (
	gsTop struct {
		Score         *float64  `json:"score"`
		ExecutionTime *int      `json:"execution_time"`
		Output        *string   `json:"output"`
		Visibility    *string   `json:"visibility"`
		Tests         *[]gsTest `json:"tests"`
	}
	gsTest struct {
		Name       *string  `json:"name"`
		Number     *string  `json:"number"`
		Score      *float64 `json:"score"`
		MaxScore   *float64 `json:"max_score"`
		Status     *string  `json:"status"`
		Output     *string  `json:"output"`
		Visibility *string  `json:"visibility"`
	}
)

func TestGradescopeFollowsTheSpecification(t *testing.T) {
	for _, partial := range []bool{false, true} {
		var b bytes.Buffer
		g := Gradescope{Scoring: Scoring{Partial: partial}, Visibility: "after_published", Elapsed: 1500 * time.Millisecond,
			Notes: []string{"ignored testdata/x"}}
		if err := g.Write(&b, teacherResults()); err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(&b)
		dec.DisallowUnknownFields()
		var top gsTop
		if err := dec.Decode(&top); err != nil {
			t.Fatalf("results.json does not decode strictly: %v\n%s", err, b.String())
		}
		if top.Score == nil || top.Tests == nil || top.Output == nil {
			t.Fatalf("results.json lacks score, tests or output:\n%s", b.String())
		}
		if top.ExecutionTime == nil || *top.ExecutionTime != 2 {
			t.Errorf("execution_time = %v; want 2 (seconds, rounded up)", top.ExecutionTime)
		}
		if top.Visibility == nil || *top.Visibility != "after_published" {
			t.Errorf("visibility = %v; want after_published", top.Visibility)
		}
		if !strings.Contains(*top.Output, "ignored testdata/x") {
			t.Errorf("output = %q; want the notes", *top.Output)
		}
		var sum float64
		for i, ts := range *top.Tests {
			if ts.Name == nil || *ts.Name == "" || ts.Score == nil || ts.MaxScore == nil || ts.Status == nil || ts.Output == nil || ts.Number == nil {
				t.Fatalf("tests[%d] lacks a field:\n%s", i, b.String())
			}
			if *ts.Status != "passed" && *ts.Status != "failed" {
				t.Errorf("tests[%d].status = %q; want passed or failed", i, *ts.Status)
			}
			if (*ts.Status == "passed") != (*ts.Score == *ts.MaxScore) && !partial {
				t.Errorf("tests[%d]: status %s with %v of %v points", i, *ts.Status, *ts.Score, *ts.MaxScore)
			}
			if *ts.Score < 0 || *ts.Score > *ts.MaxScore {
				t.Errorf("tests[%d].score = %v; want 0..%v", i, *ts.Score, *ts.MaxScore)
			}
			if ts.Visibility != nil && !slices.Contains(course.Visibilities, *ts.Visibility) {
				t.Errorf("tests[%d].visibility = %q; want one of %q", i, *ts.Visibility, course.Visibilities)
			}
			if strings.ContainsRune(*ts.Output, 0x1b) {
				t.Errorf("tests[%d].output holds an escape character: %q", i, *ts.Output)
			}
			sum += *ts.Score
		}
		if sum != *top.Score {
			t.Errorf("score = %v; want the tests' sum %v", *top.Score, sum)
		}
		tests := *top.Tests
		if len(tests) != 5 || *tests[0].Status != "passed" || *tests[1].Status != "failed" || *tests[1].Name != "02-b: a title" {
			t.Fatalf("tests = %s; want 01-a passed, 02-b failed, named by title", b.String())
		}
		if tests[1].Visibility == nil || *tests[1].Visibility != "after_due_date" || tests[0].Visibility != nil {
			t.Errorf("tests' visibility = %v, %v; want 01-a's left to the top level, 02-b's from its exercise.json", tests[0].Visibility, tests[1].Visibility)
		}
		if out := *tests[1].Output; !strings.Contains(out, "it orders") || !strings.Contains(out, "end before run") || !strings.Contains(out, "reproduce: go run ./cmd/grade") {
			t.Errorf("02-b's output = %q; want the failed rule, why and how to reproduce it", out)
		}
	}
}

func TestGradescopeLeavesVisibilityOut(t *testing.T) {
	var b bytes.Buffer
	if err := (Gradescope{}).Write(&b, teacherResults()[:1]); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "visibility") || strings.Contains(b.String(), "execution_time") {
		t.Errorf("a zero Gradescope writes %s; want no visibility and no execution_time", b.String())
	}
}

// The reporter's result object, as education/autograding-grading-reporter
// reads it, decoded strictly.
type (
	crTop struct {
		Version  *int      `json:"version"`
		Status   *string   `json:"status"`
		MaxScore *float64  `json:"max_score"`
		Tests    *[]crTest `json:"tests"`
	}
	crTest struct {
		Name     *string  `json:"name"`
		Status   *string  `json:"status"`
		Score    *float64 `json:"score"`
		Message  *string  `json:"message"`
		TestCode *string  `json:"test_code"`
		Filename *string  `json:"filename"`
		LineNo   *int     `json:"line_no"`
		Duration *int64   `json:"duration"`
	}
)

func TestClassroomOutputIsTheReportersResult(t *testing.T) {
	line, err := Classroom{}.Output(teacherResults())
	if err != nil {
		t.Fatal(err)
	}
	b64, ok := strings.CutPrefix(line, "result=")
	if !ok || !strings.HasSuffix(b64, "\n") || strings.Count(line, "\n") != 1 {
		t.Fatalf("Output = %q; want one line result=BASE64", line)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(b64, "\n"))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var top crTop
	if err := dec.Decode(&top); err != nil {
		t.Fatalf("%v\n%s", err, raw)
	}
	if top.Version == nil || *top.Version != 1 || top.Status == nil || *top.Status != "error" || top.MaxScore == nil || *top.MaxScore != 15 || top.Tests == nil {
		t.Fatalf("result = %s; want version 1, status error (one could not be judged), max_score 15", raw)
	}
	wantStatus := []string{"pass", "fail", "fail", "fail", "error"}
	var sum float64
	for i, ts := range *top.Tests {
		if ts.Name == nil || ts.Status == nil || ts.Score == nil || ts.Message == nil || ts.TestCode == nil || ts.Filename == nil || ts.LineNo == nil || ts.Duration == nil {
			t.Fatalf("tests[%d] lacks a field: %s", i, raw)
		}
		if *ts.Status != wantStatus[i] {
			t.Errorf("tests[%d].status = %q; want %q", i, *ts.Status, wantStatus[i])
		}
		sum += *ts.Score
	}
	if sum != 1 {
		t.Errorf("the tests' scores sum to %v; want 1, what the reporter sends to Classroom", sum)
	}
	c := (*top.Tests)[2]
	if *c.Filename != "exercises/03-c/main.go" || *c.LineNo != 7 {
		t.Errorf("the compile error's place = %s:%d; want exercises/03-c/main.go:7", *c.Filename, *c.LineNo)
	}
	if d := (*top.Tests)[0].Duration; *d != 1000 {
		t.Errorf("duration = %d; want 1000 (milliseconds)", *d)
	}
}
