package engine

import "github.com/forklore/forklore/internal/mptrace"

// RunRecord is one run as the timeline draws it: its output, its trace,
// and the lines the rules flagged.
type RunRecord struct {
	Index   int
	Seed    uint64
	Start   int64 // CLOCK_MONOTONIC
	End     int64
	Code    int
	Lines   []Line
	Events  []mptrace.Event
	Flagged []Flag
}

// Flag is an output line a rule flagged, with the rule's words.
type Flag struct {
	Line int // Line.N in Lines
	Rule string
}

// record keeps a run for the timeline, with the lines every failed check
// quoted from it.
func record(r *Run, checks []Check) *RunRecord {
	rec := &RunRecord{Index: r.Index, Seed: r.Seed, Start: r.Start, End: r.End, Code: r.Code, Lines: r.Lines, Events: r.Events}
	for _, c := range checks {
		if !c.Failed() || c.Run != r.Index+1 {
			continue
		}
		for _, l := range c.Lines {
			for _, x := range r.Lines {
				if l.Mono != 0 && x.Mono == l.Mono && x.Text == l.Text {
					rec.Flagged = append(rec.Flagged, Flag{Line: x.N, Rule: c.Rule})
				}
			}
		}
	}
	return rec
}
