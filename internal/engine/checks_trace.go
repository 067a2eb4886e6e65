package engine

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/forklore/forklore/internal/i18n"
	"github.com/forklore/forklore/internal/mptrace"
)

// The checks of the mp trace: facts the output cannot show, such as exit
// codes, who held a lock, joins and process names.

// selector picks events: a kind, and key=value attributes they must have.
type selector struct {
	kind  string
	attrs []mptrace.Attr
}

func parseSelector(s string) (selector, error) {
	f := strings.Fields(s)
	if len(f) == 0 {
		return selector{}, fmt.Errorf("an empty event; write a kind such as start, optionally with key=value filters")
	}
	sel := selector{kind: f[0]}
	for _, kv := range f[1:] {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return selector{}, fmt.Errorf("event filter %q is not key=value", kv)
		}
		sel.attrs = append(sel.attrs, mptrace.Attr{Key: k, Value: v})
	}
	return sel, nil
}

// match reports whether e is of the selector's kind and has its
// attributes. An event with ok=false is a timed call that gave up (a get
// that got nothing, an acquire that holds nothing): it matches only a
// selector that names ok or timeout, so that `trace count get == 5`
// counts items got.
func (sel selector) match(e *mptrace.Event) bool {
	if e.Kind != sel.kind {
		return false
	}
	if e.Attr(mptrace.AttrOK) == "false" && !slices.ContainsFunc(sel.attrs, func(a mptrace.Attr) bool {
		return a.Key == mptrace.AttrOK || a.Key == mptrace.AttrTimeout
	}) {
		return false
	}
	for _, a := range sel.attrs {
		if e.Attr(a.Key) != a.Value {
			return false
		}
	}
	return true
}

func (sel selector) String() string {
	s := sel.kind
	for _, a := range sel.attrs {
		s += " " + a.Key + "=" + a.Value
	}
	return s
}

func prepareTrace(c *call) (func(*state) error, error) {
	var desc i18n.Msg
	var check func(r *Run) *violation
	var lineCheck func(r *Run, lines []Line) *violation // a check that also reads the output
	cause := false
	a := c.args
	switch {
	case a[0] == "exit" && len(a) == 2:
		code, err := strconv.Atoi(a[1])
		if err != nil {
			return nil, c.errorf("exit %q is not an exit code", a[1])
		}
		desc, cause = i18n.M("every child exits with code %d", code), true
		check = func(r *Run) *violation { return checkTraceExit(r.Events, code) }
	case a[0] == "mutex" && len(a) == 1:
		desc = i18n.M("no two processes hold one lock at once")
		check = func(r *Run) *violation { return checkTraceMutex(r.Events) }
	case a[0] == "interleave" && len(a) == 1:
		desc = i18n.M("processes take turns with a lock for each update, not for all their work: one takes it between another's first and last hold")
		check = func(r *Run) *violation { return checkTraceInterleave(r.Events) }
	case a[0] == "noorphans" && len(a) == 1:
		desc, cause = i18n.M("every child is joined and no process outlives the program"), true
		check = checkNoOrphans
	case a[0] == "count" && len(a) == 4:
		sel, err := c.selector(a[1])
		if err != nil {
			return nil, err
		}
		op, err := c.op(a[2])
		if err != nil {
			return nil, err
		}
		n, err := c.count(a[3])
		if err != nil {
			return nil, err
		}
		desc = i18n.M("the trace has %s %d `%s` events", op.words(), n, sel)
		check = func(r *Run) *violation { return checkTraceCount(r.Events, sel, op, n) }
	case a[0] == "after" && len(a) == 3:
		x, y, err := c.selectors(a[1], a[2])
		if err != nil {
			return nil, err
		}
		desc = i18n.M("every `%s` event comes after all `%s` events", y, x)
		check = func(r *Run) *violation { return checkTraceAfter(r.Events, x, y) }
	case a[0] == "before" && (len(a) == 4 || len(a) == 5):
		x, y, err := c.selectors(a[1], a[2])
		if err != nil {
			return nil, err
		}
		key := a[3]
		if !mptraceWord(key) {
			return nil, c.errorf("before: %q is not an attribute name such as child", key)
		}
		var until *selector
		if len(a) == 5 {
			u, err := c.selector(a[4])
			if err != nil {
				return nil, err
			}
			until = &u
			desc = i18n.M("every `%s` event is followed by a `%s` event with the same %s before any `%s` event with it", x, y, key, u)
		} else {
			desc = i18n.M("every `%s` event is followed by a `%s` event with the same %s", x, y, key)
		}
		check = func(r *Run) *violation { return checkTraceBefore(r.Events, x, y, key, until) }
	case (a[0] == "lead" || a[0] == "ahead") && len(a) == 4:
		x, err := c.selector(a[1])
		if err != nil {
			return nil, err
		}
		n, err := c.count(a[2])
		if err != nil {
			return nil, err
		}
		y, err := c.selector(a[3])
		if err != nil {
			return nil, err
		}
		ahead := a[0] == "ahead"
		desc = i18n.M("%s come before the first `%s` event", i18n.Plural(n, "%d `%s` event", "%d `%s` events", x), y)
		if ahead {
			desc = i18n.M("%s come before any `%s` event, if there is one", i18n.Plural(n, "%d `%s` event", "%d `%s` events", x), y)
		}
		check = func(r *Run) *violation { return checkTraceLead(r.Events, x, n, y, ahead) }
	case a[0] == "printed" && len(a) == 3:
		x, err := c.selector(a[1])
		if err != nil {
			return nil, err
		}
		re, err := c.regexp(a[2])
		if err != nil {
			return nil, err
		}
		desc = i18n.M("every line matching `%s` is printed after every `%s` event", re, x)
		lineCheck = func(r *Run, lines []Line) *violation { return checkTracePrinted(r.Events, x, lines, re) }
	case a[0] == "names" && len(a) == 2:
		re, err := c.regexp(a[1])
		if err != nil {
			return nil, err
		}
		desc = i18n.M("the names printed (`%s`) are the names the children were started with", re)
		lineCheck = func(r *Run, lines []Line) *violation { return checkTraceNames(lines, re, r.Events) }
	default:
		return nil, c.errorf("usage: trace %s", c.cmd.args)
	}
	return func(s *state) error {
		return s.judge(c, desc, cause, func(r *Run) (*violation, error) {
			if a[0] == "noorphans" && len(r.Strays) > 0 {
				return strayViolation(r), nil
			}
			if v := s.untraced(r); v != nil {
				return v, nil
			}
			if lineCheck != nil {
				return lineCheck(r, s.linesOf(c, r)), nil
			}
			return quoteTrace(check(r), r), nil
		})
	}, nil
}

// quoteTrace makes a trace rule's failure show the trace around the events
// it quotes, rather than the output.
func quoteTrace(v *violation, r *Run) *violation {
	if v == nil || len(v.lines) == 0 {
		return v
	}
	all := make([]Line, len(r.Events))
	for i := range r.Events {
		all[i] = eventLine(r.Events, i)
	}
	v.excerpt, v.file = all, TraceFile
	return v
}

// selector parses an event selector of the call.
func (c *call) selector(a string) (selector, error) {
	sel, err := parseSelector(a)
	if err != nil {
		return sel, c.errorf("%v", err)
	}
	return sel, nil
}

// selectors parses the two event selectors of after and before.
func (c *call) selectors(a, b string) (x, y selector, err error) {
	if x, err = c.selector(a); err == nil {
		y, err = c.selector(b)
	}
	return x, y, err
}

// untraced explains a run with no trace: a skip for a program that is not
// built from Go with mp (a Python original), else a failure, since an mp
// program always writes one and only tampering or a missing mp.Main can
// stop it.
func (s *state) untraced(r *Run) *violation {
	if len(r.Events) > 0 {
		return nil
	}
	if !s.g.built {
		s.traceSkipped = true
		return &violation{skip: i18n.M("the program wrote no mp trace (only mp programs do)")}
	}
	return violate(i18n.M("the program wrote no mp trace: call mp.Main as the first statement of main, and use mp's processes"))
}

func strayViolation(r *Run) *violation {
	var names []string
	for _, p := range r.Strays {
		names = append(names, p.String())
	}
	return violate(i18n.Plural(len(r.Strays), "%d process outlived the program (the grader killed them): %s", "%d processes outlived the program (the grader killed them): %s", strings.Join(names, ", ")))
}

// eventLine quotes an event as a line, numbered by its place in the trace.
func eventLine(events []mptrace.Event, i int) Line {
	return Line{N: i + 1, Text: eventText(events, i), Mono: events[i].Mono}
}

// eventText says an event for people: its time since the trace began,
// who wrote it, and what it says.
func eventText(events []mptrace.Event, i int) string {
	e := &events[i]
	var b strings.Builder
	fmt.Fprintf(&b, "%9.3f ms  %s  %s", float64(e.Mono-events[0].Mono)/1e6, who(e), e.Kind)
	for _, a := range e.Attrs {
		b.WriteString(" " + a.Key + "=" + a.Value)
	}
	return b.String()
}

func who(e *mptrace.Event) string { return fmt.Sprintf("%s (pid %d)", e.Name, e.Pid) }

func checkTraceExit(events []mptrace.Event, code int) *violation {
	for i := range events {
		e := &events[i]
		if e.Kind != mptrace.Exit {
			continue
		}
		if c, ok := e.Int("code"); !ok || c != code {
			return violate(i18n.M("child pid %s exited with code %s; want %d", e.Attr("child"), e.Attr("code"), code), eventLine(events, i))
		}
	}
	return nil
}

func checkTraceMutex(events []mptrace.Event) *violation {
	holder := map[string]int{}
	for i := range events {
		e := &events[i]
		id := e.Attr("lock")
		if id == "" || e.Attr(mptrace.AttrOK) == "false" { // an AcquireTimeout that gave up holds nothing
			continue
		}
		switch e.Kind {
		case mptrace.Acquire:
			if h, ok := holder[id]; ok && events[h].Pid != e.Pid {
				return violate(i18n.M("%s acquired lock %s while %s still held it", who(e), id, who(&events[h])), eventLine(events, h), eventLine(events, i))
			}
			holder[id] = i
		case mptrace.Release:
			if h, ok := holder[id]; ok && events[h].Pid == e.Pid {
				delete(holder, id)
			}
		}
	}
	return nil
}

// checkTraceInterleave: some process acquires a lock between another
// process's first acquire of it and its last release, so their holds
// alternate. A process that holds the lock across all its work (taken
// before its loop, or by a deferred release in the loop) makes the others
// wait until it is done: no mutex rule breaks, but they no longer work at
// the same time.
func checkTraceInterleave(events []mptrace.Event) *violation {
	type span struct{ first, last int }
	spans := map[string]map[int]*span{} // lock -> pid -> its first acquire, last release
	for i := range events {
		e := &events[i]
		id := e.Attr("lock")
		if id == "" || e.Attr(mptrace.AttrOK) == "false" {
			continue
		}
		if spans[id] == nil {
			spans[id] = map[int]*span{}
		}
		sp := spans[id][e.Pid]
		switch {
		case e.Kind == mptrace.Acquire && sp == nil:
			spans[id][e.Pid] = &span{first: i, last: -1}
		case e.Kind == mptrace.Release && sp != nil:
			sp.last = i
		}
	}
	for i := range events {
		e := &events[i]
		if e.Kind != mptrace.Acquire || e.Attr(mptrace.AttrOK) == "false" {
			continue
		}
		for pid, sp := range spans[e.Attr("lock")] {
			if pid != e.Pid && sp.first < i && i < sp.last {
				return nil
			}
		}
	}
	return violate(i18n.M("no process took a lock between another's first and last hold of it: each held it for all its work in turn"))
}

// checkNoOrphans reports whether every started child was reaped and no
// process wrote to the trace after the main process ended.
func checkNoOrphans(r *Run) *violation {
	events := r.Events
	started := map[string]int{}
	mainEnd := -1
	for i := range events {
		e := &events[i]
		switch e.Kind {
		case mptrace.Start:
			started[e.Attr("child")] = i
		case mptrace.Exit:
			delete(started, e.Attr("child"))
		case mptrace.End:
			if e.Name == "MainProcess" && mainEnd < 0 {
				mainEnd = i
			}
		}
		if mainEnd >= 0 && e.Pid != events[mainEnd].Pid {
			return violate(i18n.M("%s was still running after the main process ended", who(e)), eventLine(events, mainEnd), eventLine(events, i))
		}
	}
	var left []int
	for _, i := range started {
		left = append(left, i)
	}
	if len(left) > 0 {
		slices.Sort(left)
		e := &events[left[0]]
		return violate(i18n.M("%s started %s (pid %s) but never joined it", who(e), e.Attr("name"), e.Attr("child")), eventLine(events, left[0]))
	}
	if mainEnd >= 0 {
		return nil // mp.Finish joined whatever was still running
	}
	// The main process ended without mp.Finish: a child counts as joined
	// only if the program joined it itself. Reaped is not joined: mp reaps
	// a child that ends while main sleeps, which is how a program that
	// sleeps instead of joining would pass.
	joined := map[string]bool{}
	for i := range events {
		if e := &events[i]; e.Kind == mptrace.Join && e.Attr("exited") == "true" {
			joined[e.Attr("child")] = true
		}
	}
	for i := range events {
		if e := &events[i]; e.Kind == mptrace.Start && e.Name == "MainProcess" && !joined[e.Attr("child")] {
			return violate(i18n.M("%s started %s (pid %s) and ended without joining it: neither a Join nor mp.Finish waited for it", who(e), e.Attr("name"), e.Attr("child")), eventLine(events, i))
		}
	}
	return nil
}

func checkTraceCount(events []mptrace.Event, sel selector, op Op, n int) *violation {
	var ls []Line
	for i := range events {
		if sel.match(&events[i]) {
			ls = append(ls, eventLine(events, i))
		}
	}
	if op.holds(float64(len(ls)), float64(n)) {
		return nil
	}
	why := i18n.M("the trace has %s; want %s %d", i18n.Plural(len(ls), "%d `%s` event", "%d `%s` events", sel), op.words(), n)
	if len(ls) > n {
		return violate(why, ls[n:]...)
	}
	return violate(why, ls...)
}

// checkTraceAfter: some event matches y, and each comes after every x.
func checkTraceAfter(events []mptrace.Event, x, y selector) *violation {
	lastX, firstY := -1, -1
	for i := range events {
		if x.match(&events[i]) {
			lastX = i
		}
		if firstY < 0 && y.match(&events[i]) {
			firstY = i
		}
	}
	if firstY < 0 {
		return violate(i18n.M("the trace has no `%s` event", y))
	}
	if lastX > firstY {
		return violate(i18n.M("%s: `%s` comes before %s: `%s`; it must come after every `%s`",
			who(&events[firstY]), y, who(&events[lastX]), x, x), eventLine(events, firstY), eventLine(events, lastX))
	}
	return nil
}

// checkTraceBefore: each x event with a key is followed by a y event
// with the same value of key, as every started child by its join.
func checkTraceBefore(events []mptrace.Event, x, y selector, key string, until *selector) *violation {
	for i := range events {
		e := &events[i]
		v := e.Attr(key)
		if !x.match(e) || v == "" {
			continue
		}
		found, cut := false, -1
		for j := i + 1; j < len(events) && !found; j++ {
			if events[j].Attr(key) != v {
				continue
			}
			if until != nil && until.match(&events[j]) {
				cut = j
				break
			}
			found = y.match(&events[j])
		}
		switch {
		case found:
		case cut >= 0:
			return violate(i18n.M("%s: `%s` with %s=%s, and no `%s` event with %s=%s comes between it and the `%s` event that follows", who(e), x, key, v, y, key, v, *until), eventLine(events, i), eventLine(events, cut))
		default:
			return violate(i18n.M("%s: `%s` with %s=%s, and no `%s` event with %s=%s follows it", who(e), x, key, v, y, key, v), eventLine(events, i))
		}
	}
	return nil
}

// checkTraceLead: at least n x events come before the first y event, as
// the parent's four gets before its first join, whatever events of the
// same kinds follow later.
// With none, a trace without y events holds: ahead, as the parent's
// gets before any IsAlive that saw a child ended, in a program that may
// never ask.
func checkTraceLead(events []mptrace.Event, x selector, n int, y selector, none bool) *violation {
	seen := 0
	for i := range events {
		if y.match(&events[i]) {
			if seen >= n {
				return nil
			}
			return violate(i18n.M("%s: `%s` comes after only %s; want %d before it", who(&events[i]), y, i18n.Plural(seen, "%d `%s` event", "%d `%s` events", x), n), eventLine(events, i))
		}
		if x.match(&events[i]) {
			seen++
		}
	}
	if none {
		return nil
	}
	return violate(i18n.M("the trace has no `%s` event", y))
}

// checkTracePrinted: every line matching re was read after the last x
// event. A line is read after it is written, so a program that prints it
// after the event always keeps this rule, however busy the machine; one
// that prints it before the event breaks it unless the grader happened to
// read the line late.
func checkTracePrinted(events []mptrace.Event, x selector, lines []Line, re *regexp.Regexp) *violation {
	last := -1
	for i := range events {
		if x.match(&events[i]) {
			last = i
		}
	}
	if last < 0 {
		return violate(i18n.M("the trace has no `%s` event", x))
	}
	for _, l := range lines {
		if l.Mono != 0 && re.MatchString(l.Text) && l.Mono < events[last].Mono {
			return violate(i18n.M("line %d `%s` was printed before %s: `%s`", l.N, l.Text, who(&events[last]), x), l)
		}
	}
	return nil
}

func mptraceWord(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// checkTraceNames: the names captured from the output are, as a multiset,
// the names in the trace's start events.
func checkTraceNames(lines []Line, re *regexp.Regexp, events []mptrace.Event) *violation {
	ls, ms := matches(lines, re)
	printed := map[string]int{}
	where := map[string]Line{}
	for i, m := range ms {
		printed[key(m)]++
		where[key(m)] = ls[i]
	}
	started := map[string]int{}
	for i := range events {
		if events[i].Kind == mptrace.Start {
			started[events[i].Attr("name")]++
		}
	}
	var names []string
	for k := range printed {
		names = append(names, k)
	}
	for k := range started {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range slices.Compact(names) {
		if printed[k] == started[k] {
			continue
		}
		if started[k] == 0 {
			return violate(i18n.M("%q is printed as a process name, but no child was started with that name", k), where[k])
		}
		if printed[k] == 0 {
			return violate(i18n.M("a child was started with the name %q, but no line prints it", k))
		}
		return violate(i18n.M("a child was started with the name %q, but a different number of lines print it", k))
	}
	return nil
}
