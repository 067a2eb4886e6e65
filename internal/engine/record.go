package engine

import (
	"time"

	"github.com/forklore/forklore/internal/mptrace"
)

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
	// Failed reports whether a rule failed in this run; a record of a
	// passing run is kept only with Params.Record.
	Failed bool
	// TimedOut reports that the run was stopped at its time Limit; Alive
	// are the processes still running then.
	TimedOut bool
	Limit    time.Duration
	Alive    []Proc
	// Strays are the processes that outlived the main process.
	Strays []Proc
	// Truncated reports that output past the grader's limit was dropped.
	Truncated bool
	// TraceErr says how the trace was tampered with, if it was.
	TraceErr string
	// FlaggedEvents are the trace events that failed trace rules quoted;
	// their Line is the event's index in Events, from 1.
	FlaggedEvents []Flag
}

// Flag is an output line a rule flagged, with the rule's words.
type Flag struct {
	Line int // Line.N in Lines
	Rule string
}

// record keeps a run for the timeline, with the lines every failed check
// quoted from it.
func record(r *Run, checks []Check) *RunRecord {
	rec := &RunRecord{Index: r.Index, Seed: r.Seed, Start: r.Start, End: r.End, Code: r.Code, Lines: r.Lines, Events: r.Events,
		TimedOut: r.TimedOut, Limit: r.Limit, Alive: r.Alive, Strays: r.Strays, Truncated: r.Truncated, TraceErr: r.TraceErr}
	for _, c := range checks {
		if !c.Failed() || c.Run != r.Index+1 {
			continue
		}
		rec.Failed = rec.Failed || c.Seed == r.Seed
		for _, l := range c.Lines {
			for _, x := range r.Lines {
				if l.Mono != 0 && x.Mono == l.Mono && x.Text == l.Text {
					rec.Flagged = append(rec.Flagged, Flag{Line: x.N, Rule: c.Rule})
				}
			}
			// A trace rule quotes events (eventLine): the N-th event.
			if i := l.N - 1; l.Mono != 0 && i >= 0 && i < len(r.Events) && r.Events[i].Mono == l.Mono && eventText(r.Events, i) == l.Text {
				rec.FlaggedEvents = append(rec.FlaggedEvents, Flag{Line: l.N, Rule: c.Rule})
			}
		}
	}
	return rec
}
