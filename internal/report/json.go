package report

import (
	"encoding/json"
	"io"
	"strings"

	"github.com/forklore/forklore/internal/engine"
	"github.com/forklore/forklore/internal/i18n"
)

// The -json report, documented in docs/grade-json.md; keep them in step.
type (
	jsonTop struct {
		Version   int            `json:"version"`
		Status    engine.Status  `json:"status"`
		Message   string         `json:"message"`
		Seed      uint64         `json:"seed"`
		Runs      int            `json:"runs"`
		Score     float64        `json:"score"`
		MaxScore  float64        `json:"max_score"`
		Exercises []jsonExercise `json:"exercises"`
	}
	jsonExercise struct {
		Name      string        `json:"name"`
		Path      string        `json:"path"`
		Script    string        `json:"script"`
		Status    engine.Status `json:"status"`
		Message   string        `json:"message"`
		Reproduce string        `json:"reproduce"`
		Timeline  string        `json:"timeline"`
		Score     float64       `json:"score"`
		MaxScore  float64       `json:"max_score"`
		Tests     []jsonTest    `json:"tests"`
	}
	jsonTest struct {
		Name        string        `json:"name"`
		Command     string        `json:"command"`
		Status      engine.Status `json:"status"`
		Message     string        `json:"message"`
		Output      string        `json:"output"`
		Seed        uint64        `json:"seed"`
		Run         int           `json:"run"`
		Line        int           `json:"line"`
		Cause       bool          `json:"cause"`
		Consequence bool          `json:"consequence"`
	}
)

// JSON writes the -json report, scoring each exercise as s says.
func JSON(w io.Writer, rs []Result, seed uint64, runs int, s Scoring) error {
	top := jsonTop{Version: 3, Status: engine.Pass, Seed: seed, Runs: runs, Exercises: []jsonExercise{}}
	switch ExitCode(rs) {
	case 1:
		top.Status = engine.Fail
	case 2:
		top.Status = engine.Error
	}
	for i := range rs {
		r := &rs[i]
		e := jsonExercise{Name: r.Target.Name, Path: r.Target.Package(), Script: r.Target.Rules, Status: r.Status(),
			Tests: []jsonTest{}}
		e.Score, e.MaxScore = s.Score(r)
		if r.NotStarted {
			e.Message = "not started: the stub as shipped"
			top.Exercises = append(top.Exercises, e)
			continue
		}
		if r.Err != nil {
			e.Message = Clean(r.Err.Error())
			if top.Message == "" {
				top.Message = r.Target.Label() + ": " + e.Message
			}
			top.Exercises = append(top.Exercises, e)
			continue
		}
		v := r.Verdict
		e.Reproduce, e.Timeline = v.Reproduce, r.Timeline
		if h := v.Headline(); h != nil {
			e.Message = Clean(h.Rule + ": " + why(i18n.En, v, h))
			if top.Message == "" {
				top.Message = Clean(r.Target.Label() + ": " + h.Rule)
			}
		}
		for j := range v.Checks {
			c := &v.Checks[j]
			msg := c.Why
			if c.Failed() {
				msg = why(i18n.En, v, c)
			}
			if len(c.Notes) > 0 {
				msg = strings.TrimPrefix(msg+"; "+strings.Join(c.Notes, "; "), "; ")
			}
			e.Tests = append(e.Tests, jsonTest{Name: Clean(c.Rule), Command: c.Command, Status: c.Status,
				Message: Clean(msg), Output: excerpt(c), Seed: c.Seed, Run: c.Run, Line: c.Pos.Line,
				Cause: c.Cause && c.Failed(), Consequence: c.Consequence})
		}
		top.Exercises = append(top.Exercises, e)
	}
	top.Score, top.MaxScore = s.Total(rs)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(top)
}
