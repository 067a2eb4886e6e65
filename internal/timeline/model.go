package timeline

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/forklore/forklore/internal/engine"
	"github.com/forklore/forklore/internal/mptrace"
)

// model is one run as the picture and the Chrome export draw it. Times are
// nanoseconds since the run started (RunRecord.Start). It is the page's
// embedded JSON, so its field names are the script's.
type model struct {
	Title  string    `json:"title"`
	Notes  []string  `json:"notes,omitempty"` // lines under the title
	Run    runInfo   `json:"run"`
	Lanes  []lane    `json:"lanes"`
	Lines  []outLine `json:"lines"`
	Holds  []span    `json:"holds"`
	Waits  []span    `json:"waits"`
	Pauses []span    `json:"pauses"`
	Arrows []arrow   `json:"arrows"`
	Marks  []mark    `json:"marks"`
	// Legend says how this picture was made: how lines were placed, how
	// messages were paired, what the trace could not tell.
	Legend []string `json:"legend"`
	// Rules are the rules that flagged lines or events of this run.
	Rules []string `json:"rules"`
	// Flagged are the trace events that failed trace rules quoted.
	Flagged []flaggedEvent `json:"flaggedEvents"`
}

// flaggedEvent is a trace event a rule quoted, as a trace rule does ("no
// two processes hold one lock at once" quotes the second acquire).
type flaggedEvent struct {
	N     int      `json:"n"` // its place in the trace, from 1
	Pid   int      `json:"pid"`
	T     int64    `json:"t"`
	Text  string   `json:"text"`
	Rules []string `json:"rules"`
}

type runInfo struct {
	Number   int    `json:"number"` // 1-based
	Seed     string `json:"seed"`   // a string: a uint64 does not fit a JavaScript number
	End      int64  `json:"end"`    // when the main process ended
	Code     int    `json:"code"`
	Outcome  string `json:"outcome"` // the main process's end, in words
	Failed   bool   `json:"failed"`
	Events   int    `json:"events"`
	Dropped  int    `json:"dropped"` // items left out of the picture for its size
	TraceErr string `json:"traceErr,omitempty"`
}

// lane is one process, or the output lane (Pid 0) for lines that cannot be
// placed on a process.
type lane struct {
	Pid    int    `json:"pid"`
	PPid   int    `json:"ppid"`
	Name   string `json:"name"`
	Depth  int    `json:"depth"` // 0 for the main process, 1 for its children...
	Daemon bool   `json:"daemon"`
	From   int64  `json:"from"`  // its parent traced its start; else its first event
	Begin  int64  `json:"begin"` // its target began; -1 if not traced
	To     int64  `json:"to"`    // it was reaped; else its last sign of life
	// Open means no exit was seen: the lane ends where the trace does.
	Open bool `json:"open"`
	// Exit is how it ended, in words: "exit 0", "exit -15 (SIGTERM)".
	Exit string `json:"exit"`
	// Fate is what the grader saw of it, if anything: still running at a
	// timeout, or outliving the main process.
	Fate string `json:"fate,omitempty"`
}

// outLine is one output line.
type outLine struct {
	N      int    `json:"n"`
	T      int64  `json:"t"`
	Stream string `json:"stream"`
	Text   string `json:"text"`
	Pid    int    `json:"pid"` // 0: on the output lane
	// By says why the line is on its lane.
	By string `json:"by"`
	// Late means the line was read after its process had exited: it was
	// written before that, and read late (on a busy machine).
	Late  bool     `json:"late,omitempty"`
	Rules []string `json:"rules,omitempty"` // the rules that flagged it
}

// span is a hold, a wait or a pause on one lane.
type span struct {
	Pid  int    `json:"pid"`
	Kind string `json:"kind"` // lock, sem; the call waited in (Join, Get, Acquire...); pause
	What string `json:"what"` // in words
	From int64  `json:"from"`
	To   int64  `json:"to"`
	Open bool   `json:"open"` // not over when the trace ended
	// On is what a wait waits for: lock, sem, queue, conn, child, event,
	// cond; the picture draws a wait for a lock or a semaphore on the
	// row of its hold, just before it.
	On string `json:"on,omitempty"`
	// GaveUp says that a timed call's timeout passed: it ended the wait
	// with nothing (no item, no lock).
	GaveUp bool `json:"gaveUp,omitempty"`
}

// end is one end of an arrow.
type end struct {
	Pid int   `json:"pid"`
	T   int64 `json:"t"`
}

// arrow is one message, from its put or send to its get or recv.
type arrow struct {
	Kind string `json:"kind"` // queue or pipe
	ID   string `json:"id"`   // the queue's or the Pipe's id
	Msg  string `json:"msg,omitempty"`
	From end    `json:"from"`
	To   end    `json:"to"`
	// By is "msg" (paired by message id) or "fifo" (paired by order).
	By string `json:"by"`
}

// mark is an instant on a lane: a start, a join, a signal, a put that no
// get matched, an event of a kind this package does not know.
type mark struct {
	Pid    int    `json:"pid"`
	T      int64  `json:"t"`
	Kind   string `json:"kind"`
	Text   string `json:"text"`
	Target int    `json:"target,omitempty"` // the child it concerns
}

// Limits on what one picture draws: a run that writes a million events
// would make a page no browser opens. Whatever is left out is counted in
// runInfo.Dropped and said in the legend. The Chrome export has no limit.
const (
	maxDrawn  = 20000 // lines, holds, waits, pauses, arrows and marks, each
	maxText   = 300   // bytes of an output line kept in the picture
	unplaced  = "no pid in its text, and more than one process could have written it"
	textPid   = "its text names pid=%d"
	numberPid = "its text names %d, the pid of this process"
	onlyOne   = "only this process had started when it was read"
)

// build turns a run record into the picture's model. limit, if not zero,
// is how many items of each kind it keeps (maxDrawn for a page).
func build(rec *engine.RunRecord, title string, notes []string, limit int) *model {
	m := &model{Title: title, Notes: notes}
	origin := rec.Start
	if origin == 0 {
		origin = earliest(rec)
	}
	at := func(mono int64) int64 { return mono - origin }
	m.Run = runInfo{
		Number: rec.Index + 1, Seed: strconv.FormatUint(rec.Seed, 10), Code: rec.Code,
		Failed: rec.Failed, Events: len(rec.Events), TraceErr: rec.TraceErr,
	}
	if rec.End > 0 {
		m.Run.End = at(rec.End)
	}
	m.Run.Outcome = outcome(rec)

	// The engine sorts events by time; a record made elsewhere may not be.
	sorted := *rec
	sorted.Events = slices.Clone(rec.Events)
	slices.SortStableFunc(sorted.Events, func(x, y mptrace.Event) int { return cmp.Compare(x.Mono, y.Mono) })
	b := &builder{m: m, rec: &sorted, at: at, lanes: map[int]*lane{}, limit: limit}
	b.makeLanes()
	b.placeLines()
	b.flagEvents(rec)
	b.readEvents()
	b.pairMessages()
	b.writeLegend()
	// The page's script reads every list: none may be null.
	m.Holds, m.Waits, m.Pauses = nonNil(m.Holds), nonNil(m.Waits), nonNil(m.Pauses)
	m.Lanes = nonNil(m.Lanes)
	m.Lines = nonNil(m.Lines)
	m.Arrows = nonNil(m.Arrows)
	m.Marks = nonNil(m.Marks)
	m.Legend = nonNil(m.Legend)
	m.Rules = nonNil(m.Rules)
	m.Flagged = nonNil(m.Flagged)
	return m
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// earliest is the first time a record mentions, for a record without a
// Start.
func earliest(rec *engine.RunRecord) int64 {
	t := int64(0)
	for _, e := range rec.Events {
		if t == 0 || e.Mono < t {
			t = e.Mono
		}
	}
	for _, l := range rec.Lines {
		if l.Mono != 0 && (t == 0 || l.Mono < t) {
			t = l.Mono
		}
	}
	return t
}

func outcome(rec *engine.RunRecord) string {
	switch {
	case rec.TimedOut:
		return fmt.Sprintf("stopped by the grader at its time limit of %v", rec.Limit.Round(time.Millisecond))
	case rec.Code < 0:
		return fmt.Sprintf("killed by signal %d", -rec.Code)
	}
	return fmt.Sprintf("exited with code %d", rec.Code)
}

type builder struct {
	limit int // items of each kind kept; 0: all
	m     *model
	rec   *engine.RunRecord
	at    func(int64) int64
	lanes map[int]*lane
	// placed counts lines by how they were placed.
	placed map[string]int
	// msgs are the put, get, send and recv events, for pairing.
	msgs []*mptrace.Event
	// traceEnd is the last time the trace or the output mentions.
	traceEnd int64
	// lockBlocks is set when mp traced a wait before a lock or semaphore.
	lockBlocks, locks bool
	fifo, byMsg       int // arrows paired by order, by message id
	backward          int // arrows whose get was traced before their put
	gaveUp            int // timed calls that gave up
}

// flagEvents keeps the events that rules quoted; rec is the record as
// given, whose event indices the flags name.
func (b *builder) flagEvents(rec *engine.RunRecord) {
	byN := map[int]int{} // event number -> index in b.m.Flagged
	for _, f := range rec.FlaggedEvents {
		if f.Line < 1 || f.Line > len(rec.Events) {
			continue
		}
		if !slices.Contains(b.m.Rules, f.Rule) {
			b.m.Rules = append(b.m.Rules, f.Rule)
		}
		if i, ok := byN[f.Line]; ok {
			if !slices.Contains(b.m.Flagged[i].Rules, f.Rule) {
				b.m.Flagged[i].Rules = append(b.m.Flagged[i].Rules, f.Rule)
			}
			continue
		}
		e := &rec.Events[f.Line-1]
		byN[f.Line] = len(b.m.Flagged)
		b.m.Flagged = append(b.m.Flagged, flaggedEvent{N: f.Line, Pid: e.Pid, T: b.at(e.Mono),
			Text: fmt.Sprintf("%s (pid %d): %s", e.Name, e.Pid, describe(e)), Rules: []string{f.Rule}})
	}
}

// full reports whether a list of n items is at the limit, and counts the
// item left out if it is.
func (b *builder) full(n int) bool {
	if b.limit > 0 && n >= b.limit {
		b.m.Run.Dropped++
		return true
	}
	return false
}

// clip cuts s to at most n bytes, at a character's boundary, marking the
// cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

// writeLegend says how this picture was made.
func (b *builder) writeLegend() {
	m := b.m
	if len(b.rec.Events) == 0 {
		m.Legend = append(m.Legend, "This run wrote no mp trace (only programs that use mp do), so there are no process lanes: every line is on the output lane.")
	}
	if n := len(m.Lines); n > 0 {
		m.Legend = append(m.Legend, fmt.Sprintf("Output lines are drawn when the grader read them. Of %d lines, %d are on a process's lane because their text names its pid, %d because only that process had started when they were read, and %d on the output lane (no pid in the text, and more than one process could have written them). A line that quotes another process's pid lands on that process's lane.",
			n, b.placed["text"], b.placed["only"], b.placed["unplaced"]))
	}
	if b.byMsg > 0 {
		m.Legend = append(m.Legend, fmt.Sprintf("%d messages are paired by the message id mp traced.", b.byMsg))
	}
	if b.fifo > 0 {
		m.Legend = append(m.Legend, fmt.Sprintf("%d messages are paired in first-in first-out order per queue and per Pipe direction, because this trace has no message ids: exact with one producer and one consumer, approximate with several.", b.fifo))
	}
	if b.backward > 0 {
		m.Legend = append(m.Legend, fmt.Sprintf("%d arrows point back in time (dashed): the mp that wrote this trace traced a put once the item was on the queue, and its get was traced first.", b.backward))
	}
	if b.gaveUp > 0 {
		m.Legend = append(m.Legend, fmt.Sprintf("%d timed calls gave up (a red-edged wait, and a red mark): their timeout passed, and they got nothing.", b.gaveUp))
	}
	if b.locks && !b.lockBlocks {
		m.Legend = append(m.Legend, "Lock and semaphore holds are bars from acquire to release. This trace does not say when a process began to wait for a lock, only when it got it; waits are shown for Join and for any wait mp traced.")
	}
	if m.Run.Dropped > 0 {
		m.Legend = append(m.Legend, fmt.Sprintf("%d items are left out of this picture to keep it small enough for a browser; the Chrome trace export (grade -trace-json) has them all.", m.Run.Dropped))
	}
	if m.Run.TraceErr != "" {
		m.Legend = append(m.Legend, "The trace was tampered with: "+m.Run.TraceErr+". What it says may be false.")
	}
}
