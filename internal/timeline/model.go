package timeline

import (
	"cmp"
	"fmt"
	"regexp"
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
	// Rules are the rules that flagged lines of this run.
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
	Kind string `json:"kind"` // lock, sem; Join, Lock...; pause
	What string `json:"what"` // in words
	From int64  `json:"from"`
	To   int64  `json:"to"`
	Open bool   `json:"open"` // not over when the trace ended
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
// runInfo.Dropped and said in the legend.
const (
	maxLines  = 20000
	maxItems  = 20000 // holds, waits, arrows and marks, each
	maxText   = 300   // characters of an output line kept
	unplaced  = "no pid in its text, and more than one process could have written it"
	textPid   = "its text names pid=%d"
	numberPid = "its text names %d, the pid of this process"
	onlyOne   = "only this process had started when it was read"
)

// pidField finds pid=<n> (also "pid <n>" and "pid: <n>").
var pidField = regexp.MustCompile(`\bpid[=: ]\s*(\d+)\b`)

// number finds every whole number in a line.
var number = regexp.MustCompile(`\b\d+\b`)

// build turns a run record into the picture's model.
func build(rec *engine.RunRecord, title string, notes []string) *model {
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
	b := &builder{m: m, rec: &sorted, at: at, lanes: map[int]*lane{}}
	b.lanes1()
	b.lines()
	b.events()
	b.pair()
	b.legend()
	// The page's script reads every list: none may be null.
	m.Holds, m.Waits, m.Pauses = nonNil(m.Holds), nonNil(m.Waits), nonNil(m.Pauses)
	m.Lanes = nonNil(m.Lanes)
	m.Lines = nonNil(m.Lines)
	m.Arrows = nonNil(m.Arrows)
	m.Marks = nonNil(m.Marks)
	m.Legend = nonNil(m.Legend)
	m.Rules = nonNil(m.Rules)
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
}

// lanes1 makes one lane per process: every process that wrote an event,
// and every child a start event names, ordered parent first, then its
// children by start time.
func (b *builder) lanes1() {
	rec, at := b.rec, b.at
	get := func(pid int) *lane {
		l, ok := b.lanes[pid]
		if !ok {
			l = &lane{Pid: pid, From: -1, Begin: -1, To: -1}
			b.lanes[pid] = l
		}
		return l
	}
	parentOf := map[int]int{}
	reaped := map[int]bool{}
	for i := range rec.Events {
		e := &rec.Events[i]
		t := at(e.Mono)
		b.traceEnd = max(b.traceEnd, t)
		l := get(e.Pid)
		if l.Name == "" {
			l.Name = e.Name
		}
		if _, ok := parentOf[e.Pid]; !ok {
			l.PPid = e.PPid
		}
		if l.From < 0 || t < l.From {
			l.From = t
		}
		l.To = max(l.To, t)
		switch e.Kind {
		case mptrace.Begin:
			if l.Begin < 0 {
				l.Begin = t
			}
		case mptrace.Start:
			child, ok := e.Int("child")
			if !ok {
				continue
			}
			c := get(child)
			parentOf[child] = e.Pid
			c.PPid = e.Pid
			if n := e.Attr("name"); n != "" {
				c.Name = n
			}
			c.Daemon = e.Attr("daemon") == "true"
			if c.From < 0 || t < c.From {
				c.From = t
			}
			c.To = max(c.To, t)
		case mptrace.Exit:
			child, ok := e.Int("child")
			if !ok {
				continue
			}
			c := get(child)
			reaped[child] = true
			c.To = max(c.To, t)
			c.Exit = exitWords(e.Attr("code"))
		}
	}
	for _, l := range rec.Lines {
		b.traceEnd = max(b.traceEnd, at(l.Mono))
	}
	if rec.End > 0 {
		b.traceEnd = max(b.traceEnd, at(rec.End))
	}

	// The main process: the root that began first. Its end is the run's.
	var roots []*lane
	for pid, l := range b.lanes {
		if _, ok := parentOf[pid]; !ok {
			roots = append(roots, l)
		}
	}
	slices.SortFunc(roots, func(x, y *lane) int { return cmp.Or(cmp.Compare(x.From, y.From), cmp.Compare(x.Pid, y.Pid)) })
	alive := map[int]string{}
	for _, p := range b.rec.Alive {
		alive[p.Pid] = "still running at the time limit; the grader killed it"
	}
	for _, p := range b.rec.Strays {
		alive[p.Pid] = "outlived the main process; the grader killed it"
	}
	for i, l := range roots {
		if i == 0 && rec.End > 0 {
			l.To = max(l.To, at(rec.End))
			l.Exit = strings.TrimPrefix(b.m.Run.Outcome, "exited with code ")
			if rec.Code >= 0 && !rec.TimedOut {
				l.Exit = "exit " + l.Exit
			}
			reaped[l.Pid] = true
		}
	}
	for pid, l := range b.lanes {
		l.Fate = alive[pid]
		if !reaped[pid] {
			l.Open = true
			l.To = b.traceEnd
			l.Exit = "no exit traced"
		}
		if l.Name == "" {
			l.Name = "pid " + strconv.Itoa(pid)
		}
	}
	children := map[int][]*lane{}
	for child, parent := range parentOf {
		children[parent] = append(children[parent], b.lanes[child])
	}
	var walk func(l *lane, depth int)
	seen := map[int]bool{}
	walk = func(l *lane, depth int) {
		if seen[l.Pid] {
			return
		}
		seen[l.Pid] = true
		l.Depth = depth
		b.m.Lanes = append(b.m.Lanes, *l)
		cs := children[l.Pid]
		slices.SortFunc(cs, func(x, y *lane) int { return cmp.Or(cmp.Compare(x.From, y.From), cmp.Compare(x.Pid, y.Pid)) })
		for _, c := range cs {
			walk(c, depth+1)
		}
	}
	for _, r := range roots {
		walk(r, 0)
	}
	// A cycle of start events (a forged trace) leaves lanes unvisited:
	// they are still processes of the trace, and still drawn.
	var rest []*lane
	for pid, l := range b.lanes {
		if !seen[pid] {
			rest = append(rest, l)
		}
	}
	slices.SortFunc(rest, func(x, y *lane) int { return cmp.Compare(x.Pid, y.Pid) })
	for _, l := range rest {
		walk(l, 0)
	}
}

// exitWords says an exit code from an exit event in words.
func exitWords(code string) string {
	n, err := strconv.Atoi(code)
	switch {
	case err != nil:
		return "exit " + code
	case n == -15:
		return "exit -15 (SIGTERM)"
	case n == -9:
		return "exit -9 (SIGKILL)"
	case n < 0:
		return fmt.Sprintf("exit %d (signal %d)", n, -n)
	}
	return "exit " + code
}

// lines places every output line on a lane (see the package doc).
func (b *builder) lines() {
	flags := map[int][]string{}
	for _, f := range b.rec.Flagged {
		if !slices.Contains(flags[f.Line], f.Rule) {
			flags[f.Line] = append(flags[f.Line], f.Rule)
		}
		if !slices.Contains(b.m.Rules, f.Rule) {
			b.m.Rules = append(b.m.Rules, f.Rule)
		}
	}
	b.placed = map[string]int{}
	for i, l := range b.rec.Lines {
		if i >= maxLines && len(flags[l.N]) == 0 {
			b.m.Run.Dropped++
			continue
		}
		t := b.at(l.Mono)
		if l.Mono == 0 {
			t = b.traceEnd
		}
		text := l.Text
		if len(text) > maxText {
			text = strings.ToValidUTF8(text[:maxText], "") + "…"
		}
		o := outLine{N: l.N, T: t, Stream: streamName(l.Stream), Text: text, Rules: flags[l.N]}
		o.Pid, o.By = b.place(l.Text, t)
		if ln := b.lanes[o.Pid]; o.Pid != 0 && !ln.Open && ln.To < t {
			o.Late = true
		}
		b.placed[kindOf(o.By)]++
		b.m.Lines = append(b.m.Lines, o)
	}
}

func streamName(s engine.Stream) string {
	if s == engine.Stderr {
		return "stderr"
	}
	return "stdout"
}

// kindOf groups the reasons a line was placed, for the legend.
func kindOf(by string) string {
	switch {
	case by == unplaced:
		return "unplaced"
	case by == onlyOne:
		return "only"
	}
	return "text"
}

// place decides the lane of a line with text read at t.
func (b *builder) place(text string, t int64) (int, string) {
	started := func(pid int) bool {
		l, ok := b.lanes[pid]
		return ok && l.From <= t
	}
	if m := pidField.FindStringSubmatch(text); m != nil {
		if pid, err := strconv.Atoi(m[1]); err == nil && started(pid) {
			return pid, fmt.Sprintf(textPid, pid)
		}
	}
	var named []int
	for _, s := range number.FindAllString(text, -1) {
		if pid, err := strconv.Atoi(s); err == nil && started(pid) && !slices.Contains(named, pid) {
			named = append(named, pid)
		}
	}
	if len(named) == 1 {
		return named[0], fmt.Sprintf(numberPid, named[0])
	}
	only := 0
	for pid, l := range b.lanes {
		if l.From <= t {
			if only != 0 {
				return 0, unplaced
			}
			only = pid
		}
	}
	if only != 0 {
		return only, onlyOne
	}
	return 0, unplaced
}

// holdKey names what one process holds or waits for: "lock=<id>",
// "sem=<id>", "child=<pid>", "queue=<id>", "conn=<id>".
type holdKey struct {
	pid  int
	what string
}

// events turns the trace into holds, waits, pauses and marks, and keeps
// the messages for pair.
func (b *builder) events() {
	held := map[holdKey][]int64{}    // acquire times not yet released
	waiting := map[holdKey][]int64{} // block times of waits not yet over
	waitIn := map[holdKey]string{}   // the call an open wait is in
	names := map[int]string{}
	for _, l := range b.m.Lanes {
		names[l.Pid] = l.Name
	}
	who := func(pid int) string { return fmt.Sprintf("%s (pid %d)", names[pid], pid) }
	add := func(list *[]span, s span) {
		if len(*list) >= maxItems {
			b.m.Run.Dropped++
			return
		}
		*list = append(*list, s)
	}
	addMark := func(k mark) {
		if len(b.m.Marks) >= maxItems {
			b.m.Run.Dropped++
			return
		}
		b.m.Marks = append(b.m.Marks, k)
	}
	waitWords := func(k holdKey) string {
		kind, id, _ := strings.Cut(k.what, "=")
		what := kind + " " + id
		if kind == "child" {
			what = who(atoi(id))
		}
		return fmt.Sprintf("%s waits in %s for %s", who(k.pid), waitIn[k], what)
	}
	// endWait closes the oldest open wait of k.
	endWait := func(k holdKey, t int64) {
		if ts := waiting[k]; len(ts) > 0 {
			add(&b.m.Waits, span{Pid: k.pid, Kind: waitIn[k], What: waitWords(k), From: ts[0], To: t})
			waiting[k] = ts[1:]
		}
	}
	for i := range b.rec.Events {
		e := &b.rec.Events[i]
		t := b.at(e.Mono)
		switch e.Kind {
		case mptrace.Begin, mptrace.Exit:
			// Drawn as the lane itself.
		case mptrace.End:
			addMark(mark{Pid: e.Pid, T: t, Kind: "end", Text: fmt.Sprintf("%s returns from its target; it ends with code %s", who(e.Pid), e.Attr("code"))})
		case mptrace.Start:
			child, _ := e.Int("child")
			d := ""
			if e.Attr("daemon") == "true" {
				d = " (daemon)"
			}
			addMark(mark{Pid: e.Pid, T: t, Kind: "start", Target: child, Text: fmt.Sprintf("%s starts %s%s", who(e.Pid), who(child), d)})
		case mptrace.Join:
			child, _ := e.Int("child")
			endWait(holdKey{e.Pid, "child=" + e.Attr("child")}, t)
			call := "Join()"
			if to := e.Attr("timeout"); to != "none" && to != "" {
				call = "JoinTimeout(" + to + " ms)"
			}
			state := "it had exited"
			if e.Attr("exited") != "true" {
				state = "it was still running"
			}
			addMark(mark{Pid: e.Pid, T: t, Kind: "join", Target: child, Text: fmt.Sprintf("%s: %s of %s returned; %s", who(e.Pid), call, who(child), state)})
		case mptrace.Terminate, mptrace.Kill:
			child, _ := e.Int("child")
			sig := "SIGTERM"
			if e.Kind == mptrace.Kill {
				sig = "SIGKILL"
			}
			addMark(mark{Pid: e.Pid, T: t, Kind: e.Kind, Target: child, Text: fmt.Sprintf("%s: %s() of %s sends %s", who(e.Pid), title(e.Kind), who(child), sig)})
		case mptrace.Pause:
			ms, _ := e.Int("ms")
			add(&b.m.Pauses, span{Pid: e.Pid, Kind: "pause", What: fmt.Sprintf("the grader pauses %s for %d ms (at %s)", who(e.Pid), ms, e.Attr("at")),
				From: t, To: t + int64(ms)*int64(time.Millisecond)})
		case mptrace.Block:
			k := holdKey{e.Pid, blockKey(e)}
			if strings.HasPrefix(k.what, "lock=") || strings.HasPrefix(k.what, "sem=") {
				b.lockBlocks = true
			}
			waiting[k] = append(waiting[k], t)
			waitIn[k] = cmp.Or(e.Attr("in"), "a call")
		case mptrace.Acquire, mptrace.Release:
			b.locks = true
			kind, id := "lock", e.Attr("lock")
			if s := e.Attr("sem"); s != "" {
				kind, id = "sem", s
			}
			k := holdKey{e.Pid, kind + "=" + id}
			if e.Kind == mptrace.Acquire {
				endWait(k, t)
				held[k] = append(held[k], t)
				continue
			}
			if ts := held[k]; len(ts) > 0 {
				add(&b.m.Holds, span{Pid: e.Pid, Kind: kind, What: fmt.Sprintf("%s holds %s %s", who(e.Pid), kind, id), From: ts[len(ts)-1], To: t})
				held[k] = ts[:len(ts)-1]
				continue
			}
			// A Lock may be released by a process other than its holder.
			if owner, ok := longestHolder(held, k.what); ok {
				k0 := holdKey{owner, k.what}
				add(&b.m.Holds, span{Pid: owner, Kind: kind, What: fmt.Sprintf("%s holds %s %s; %s releases it", who(owner), kind, id, who(e.Pid)), From: held[k0][0], To: t})
				held[k0] = held[k0][1:]
			}
			addMark(mark{Pid: e.Pid, T: t, Kind: "release", Text: fmt.Sprintf("%s releases %s %s, which it did not acquire", who(e.Pid), kind, id)})
		case mptrace.Put, mptrace.Get, mptrace.Send, mptrace.Recv:
			endWait(holdKey{e.Pid, endpointKey(e)}, t)
			b.msgs = append(b.msgs, e)
		default:
			// A kind this package does not know: show it as it is.
			addMark(mark{Pid: e.Pid, T: t, Kind: "other", Text: who(e.Pid) + ": " + describe(e)})
		}
	}
	// What is still held or awaited when the trace ends is drawn to the
	// end of its lane: that is what a deadlock looks like.
	laneEnd := map[int]int64{}
	for _, l := range b.m.Lanes {
		laneEnd[l.Pid] = l.To
	}
	for _, k := range sortedKeys(held) {
		kind, id, _ := strings.Cut(k.what, "=")
		for _, from := range held[k] {
			add(&b.m.Holds, span{Pid: k.pid, Kind: kind, What: fmt.Sprintf("%s holds %s %s, and never releases it in the trace", who(k.pid), kind, id),
				From: from, To: max(from, laneEnd[k.pid]), Open: true})
		}
	}
	for _, k := range sortedKeys(waiting) {
		for _, from := range waiting[k] {
			add(&b.m.Waits, span{Pid: k.pid, Kind: waitIn[k], What: waitWords(k) + ", still when the trace ends",
				From: from, To: max(from, laneEnd[k.pid]), Open: true})
		}
	}
	for _, l := range [][]span{b.m.Holds, b.m.Waits, b.m.Pauses} {
		slices.SortStableFunc(l, func(x, y span) int { return cmp.Compare(x.From, y.From) })
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func sortedKeys(m map[holdKey][]int64) []holdKey {
	keys := make([]holdKey, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b holdKey) int { return cmp.Or(cmp.Compare(a.pid, b.pid), strings.Compare(a.what, b.what)) })
	return keys
}

// longestHolder finds the process that has held what the longest, for a
// release by a process that does not hold it.
func longestHolder(held map[holdKey][]int64, what string) (int, bool) {
	best, from, ok := 0, int64(0), false
	for k, ts := range held {
		if k.what != what || len(ts) == 0 {
			continue
		}
		if !ok || ts[0] < from || ts[0] == from && k.pid < best {
			best, from, ok = k.pid, ts[0], true
		}
	}
	return best, ok
}

func title(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

// blockKey says what a block event waits for, as the key of the event
// that ends the wait: child=<pid> (a join), lock=<id> or sem=<id> (an
// acquire), queue=<id> (a put or get), conn=<id> (a send or recv).
func blockKey(e *mptrace.Event) string {
	for _, k := range []string{"child", "lock", "sem", "queue", "conn"} {
		if v := e.Attr(k); v != "" {
			return k + "=" + v
		}
	}
	return "in=" + e.Attr("in")
}

// endpointKey is the key of a block event on the queue or Pipe end of e.
func endpointKey(e *mptrace.Event) string {
	if q := e.Attr("queue"); q != "" {
		return "queue=" + q
	}
	return "conn=" + e.Attr("conn")
}

func describe(e *mptrace.Event) string {
	var s strings.Builder
	s.WriteString(e.Kind)
	for _, a := range e.Attrs {
		s.WriteString(" " + a.Key + "=" + a.Value)
	}
	return s.String()
}

// channel is one way messages go: a queue, or one direction of a Pipe.
type channel struct {
	kind string // queue or pipe
	id   string // the queue's id, or the Pipe's without its end's letter
	dir  string // for a Pipe: "a→b" or "b→a"; "" if its ends are unnamed
}

func (c channel) String() string {
	if c.dir == "" {
		return c.id
	}
	return c.id + " " + c.dir
}

// channelOf says which channel a message event is on, and whether it is
// the sending side. The ends of a Pipe are "<id>a" and "<id>b": what one
// end sends, the other receives, so a send on "<id>a" and a recv on
// "<id>b" are both on the channel "<id> a→b".
func channelOf(e *mptrace.Event) (channel, bool) {
	out := e.Kind == mptrace.Put || e.Kind == mptrace.Send
	if e.Kind == mptrace.Put || e.Kind == mptrace.Get {
		return channel{kind: "queue", id: e.Attr("queue")}, out
	}
	id := e.Attr("conn")
	n := len(id)
	if n < 2 || id[n-1] != 'a' && id[n-1] != 'b' {
		return channel{kind: "pipe", id: id}, out
	}
	dir := "a→b"
	if (id[n-1] == 'b') == out {
		dir = "b→a"
	}
	return channel{kind: "pipe", id: id[:n-1], dir: dir}, out
}

// pair turns puts and gets, sends and recvs into arrows: by message id
// where mp wrote one, else first-in first-out per channel. What is left
// unpaired becomes a mark.
func (b *builder) pair() {
	type msgKey struct {
		c   channel
		msg string
	}
	outs := map[channel][]*mptrace.Event{}
	ins := map[channel][]*mptrace.Event{}
	var order []channel
	sent := map[msgKey]*mptrace.Event{}  // by message id, not yet received
	early := map[msgKey]*mptrace.Event{} // received before their send was traced
	var pairs []arrow
	var lone []*mptrace.Event
	for _, e := range b.msgs {
		c, out := channelOf(e)
		if msg := e.Attr("msg"); msg != "" {
			k := msgKey{c, msg}
			switch {
			case out && early[k] != nil:
				// mp traces a put once the item is on the queue, so its
				// get can come first.
				pairs = append(pairs, b.arrow(c, msg, e, early[k], "msg"))
				delete(early, k)
			case out:
				sent[k] = e
			case sent[k] != nil:
				pairs = append(pairs, b.arrow(c, msg, sent[k], e, "msg"))
				delete(sent, k)
			default:
				early[k] = e
			}
			continue
		}
		if _, ok := outs[c]; !ok {
			if _, ok := ins[c]; !ok {
				order = append(order, c)
			}
		}
		if out {
			outs[c] = append(outs[c], e)
		} else {
			ins[c] = append(ins[c], e)
		}
	}
	for _, e := range sent {
		lone = append(lone, e)
	}
	for _, e := range early {
		lone = append(lone, e)
	}
	for _, c := range order {
		o, i := outs[c], ins[c]
		n := min(len(o), len(i))
		for k := range n {
			pairs = append(pairs, b.arrow(c, "", o[k], i[k], "fifo"))
		}
		lone = append(lone, o[n:]...)
		lone = append(lone, i[n:]...)
	}
	slices.SortStableFunc(pairs, func(x, y arrow) int { return cmp.Compare(min(x.From.T, x.To.T), min(y.From.T, y.To.T)) })
	for _, a := range pairs {
		if len(b.m.Arrows) >= maxItems {
			b.m.Run.Dropped++
			continue
		}
		if a.By == "msg" {
			b.byMsg++
		} else {
			b.fifo++
		}
		if a.To.T < a.From.T {
			b.backward++
		}
		b.m.Arrows = append(b.m.Arrows, a)
	}
	slices.SortStableFunc(lone, func(x, y *mptrace.Event) int { return cmp.Compare(x.Mono, y.Mono) })
	words := map[string]string{
		mptrace.Put:  "puts on queue %s; no get of it in the trace",
		mptrace.Get:  "gets from queue %s; no put of it in the trace",
		mptrace.Send: "sends on Pipe %s; no recv of it in the trace",
		mptrace.Recv: "receives on Pipe %s; no send of it in the trace",
	}
	for _, e := range lone {
		if len(b.m.Marks) >= maxItems {
			b.m.Run.Dropped++
			continue
		}
		c, _ := channelOf(e)
		b.m.Marks = append(b.m.Marks, mark{Pid: e.Pid, T: b.at(e.Mono), Kind: e.Kind,
			Text: fmt.Sprintf("%s (pid %d) "+words[e.Kind], e.Name, e.Pid, c)})
	}
}

func (b *builder) arrow(c channel, msg string, from, to *mptrace.Event, by string) arrow {
	return arrow{Kind: c.kind, ID: c.String(), Msg: msg, By: by,
		From: end{Pid: from.Pid, T: b.at(from.Mono)}, To: end{Pid: to.Pid, T: b.at(to.Mono)}}
}

// legend says how this picture was made.
func (b *builder) legend() {
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
		m.Legend = append(m.Legend, fmt.Sprintf("%d arrows point back in time (dashed): mp traces a put once the item is on the queue, and its get was traced first.", b.backward))
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
