package report

import (
	"math"

	"github.com/forklore/forklore/internal/engine"
)

// Scoring says how a result earns its exercise's points. The zero value
// is all or nothing: an exercise scores its points (its exercise.json
// "points", 1 by default) when it passes and 0 otherwise.
//
// # Why partial credit is off by default
//
// A concurrent program that breaks one invariant is wrong, however many
// others it keeps: a ticket office that sells a seat twice in one run in
// fifty is broken, not 98% right. Partial credit also rewards luck: a
// racy program passes most rules in most runs, so its score drifts from
// one grading to the next, while the schedule, not the student, decides
// it. Turn it on for formative feedback, not for a final grade.
type Scoring struct {
	// Partial, if true, shares an exercise's points among its rules by
	// their -weight (1 unless the rule says otherwise): a result scores
	// the points times the weight of the rules it passed over the weight
	// of all that applied. Skipped rules count for neither; a program that
	// does not compile, or that grading could not judge, scores 0.
	Partial bool
}

// Score returns what r earns and what it could have earned, rounded to
// hundredths of a point so that every report shows the same numbers.
func (s Scoring) Score(r *Result) (score, max float64) {
	max = float64(r.Target.Points())
	if r.Err != nil || r.Verdict == nil {
		return 0, max
	}
	v := r.Verdict
	if v.Passed() {
		return max, max
	}
	if !s.Partial || v.Compile != nil {
		return 0, max
	}
	var got, all int
	for i := range v.Checks {
		c := &v.Checks[i]
		if c.Status == engine.Skip {
			continue
		}
		all += c.Weight
		if c.Status == engine.Pass {
			got += c.Weight
		}
	}
	if all == 0 {
		return 0, max
	}
	return math.Round(max*float64(got)/float64(all)*100) / 100, max
}

// Total returns the sum of Score over rs.
func (s Scoring) Total(rs []Result) (score, max float64) {
	for i := range rs {
		a, b := s.Score(&rs[i])
		score += a
		max += b
	}
	return math.Round(score*100) / 100, max
}
