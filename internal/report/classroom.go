package report

import (
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/forklore/forklore/internal/engine"
)

// Classroom formats results for GitHub Classroom's autograding, whose
// education/autograding-grading-reporter action reads each grading step's
// output `result`: base64 of a JSON object (version 1, status, max_score,
// tests with name, status, score, message, test_code, filename, line_no
// and duration in milliseconds). The reporter prints every test and sends
// the sum of the tests' scores over the sum of max_score to Classroom.
//
// A zero Classroom scores all or nothing.
type Classroom struct{ Scoring }

type (
	classroomTop struct {
		Version  int             `json:"version"`
		Status   string          `json:"status"`
		MaxScore float64         `json:"max_score"`
		Tests    []classroomTest `json:"tests"`
	}
	classroomTest struct {
		Name     string  `json:"name"`
		Status   string  `json:"status"`
		Score    float64 `json:"score"`
		Message  string  `json:"message"`
		TestCode string  `json:"test_code"`
		Filename string  `json:"filename"`
		LineNo   int     `json:"line_no"`
		Duration int64   `json:"duration"`
	}
)

// JSON returns the reporter's JSON object for rs, one test per exercise.
func (c Classroom) JSON(rs []Result) ([]byte, error) {
	top := classroomTop{Version: 1, Status: "pass", Tests: []classroomTest{}}
	for i := range rs {
		r := &rs[i]
		t := classroomTest{Name: r.Target.Label(), Status: "pass", TestCode: gradeCommand(r.Target), Filename: r.Target.Source()}
		var max float64
		t.Score, max = c.Score(r)
		top.MaxScore += max
		switch r.Status() {
		case engine.Pass:
		case engine.Error:
			t.Status, top.Status = "error", "error"
			t.Message = Clean(r.Err.Error()) + "\n" + nextStep(r, "en")
		default:
			t.Status = "fail"
			if top.Status == "pass" {
				top.Status = "fail"
			}
			t.Message = strings.TrimSpace(detail(r))
		}
		if v := r.Verdict; v != nil {
			t.Duration = v.Elapsed.Milliseconds()
			if v.Compile != nil {
				t.Filename, t.LineNo = v.Compile.File, v.Compile.Line
			}
			if v.Reproduce != "" {
				t.TestCode = v.Reproduce
			}
		}
		top.Tests = append(top.Tests, t)
	}
	return json.Marshal(top)
}

// Output returns the step output line `result=BASE64` that the reporter
// reads through `env: ID_RESULTS: ${{ steps.ID.outputs.result }}`.
func (c Classroom) Output(rs []Result) (string, error) {
	b, err := c.JSON(rs)
	if err != nil {
		return "", err
	}
	return "result=" + base64.StdEncoding.EncodeToString(b) + "\n", nil
}
