package timeline

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/forklore/forklore/internal/mptrace"
)

// holdKey names what one process holds or waits for: "lock=<id>",
// "sem=<id>", "child=<pid>", "queue=<id>", "conn=<id>".
type holdKey struct {
	pid  int
	what string
}

// readEvents turns the trace into holds, waits, pauses and marks, and keeps
// the messages for pairMessages.
func (b *builder) readEvents() {
	held := map[holdKey][]int64{}    // acquire times not yet released
	waiting := map[holdKey][]int64{} // block times of waits not yet over
	waitIn := map[holdKey]string{}   // the call an open wait is in
	names := map[int]string{}
	for _, l := range b.m.Lanes {
		names[l.Pid] = l.Name
	}
	who := func(pid int) string { return fmt.Sprintf("%s (pid %d)", names[pid], pid) }
	add := func(list *[]span, s span) {
		if !b.full(len(*list)) {
			*list = append(*list, s)
		}
	}
	addMark := func(k mark) {
		if !b.full(len(b.m.Marks)) {
			b.m.Marks = append(b.m.Marks, k)
		}
	}
	waitWords := func(k holdKey) string {
		kind, id, _ := strings.Cut(k.what, "=")
		what := kind + " " + id
		if kind == "child" {
			what = who(atoi(id))
		}
		return fmt.Sprintf("%s waits in %s for %s", who(k.pid), waitIn[k], what)
	}
	// endWait closes the oldest open wait of k, and reports whether there
	// was one; gaveUp says the call's timeout passed.
	endWait := func(k holdKey, t int64, gaveUp bool) bool {
		ts := waiting[k]
		if len(ts) == 0 {
			return false
		}
		what := waitWords(k)
		if gaveUp {
			what += ", and gives up: its timeout passed"
		}
		on, _, _ := strings.Cut(k.what, "=")
		add(&b.m.Waits, span{Pid: k.pid, Kind: waitIn[k], What: what, From: ts[0], To: t, On: on, GaveUp: gaveUp})
		waiting[k] = ts[1:]
		return true
	}
	// gaveUp marks a timed call whose timeout passed.
	gaveUp := func(e *mptrace.Event, t int64, k holdKey, nothing string) {
		b.gaveUp++
		endWait(k, t, true)
		kind, id, _ := strings.Cut(k.what, "=")
		addMark(mark{Pid: e.Pid, T: t, Kind: "gaveup", Text: fmt.Sprintf("%s: a timed %s on %s %s gave up after %s ms: %s",
			who(e.Pid), e.Kind, kind, id, e.Attr(mptrace.AttrTimeout), nothing)})
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
			endWait(holdKey{e.Pid, "child=" + e.Attr("child")}, t, false)
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
			if e.Kind == mptrace.Acquire && e.Attr(mptrace.AttrOK) == "false" {
				gaveUp(e, t, k, "it holds nothing")
				continue
			}
			if e.Kind == mptrace.Acquire {
				endWait(k, t, false)
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
			k := holdKey{e.Pid, endpointKey(e)}
			switch {
			case e.Attr(mptrace.AttrOK) == "false":
				gaveUp(e, t, k, "nothing was "+map[string]string{mptrace.Put: "put", mptrace.Get: "got"}[e.Kind])
			case e.Attr("eof") == "true":
				endWait(k, t, false)
				addMark(mark{Pid: e.Pid, T: t, Kind: "eof", Text: fmt.Sprintf("%s: a receive on Pipe end %s returned EOF: every copy of the other end is closed, and nothing is left", who(e.Pid), e.Attr("conn"))})
			default:
				endWait(k, t, false)
				b.msgs = append(b.msgs, e)
			}
		case mptrace.Wait:
			k := holdKey{e.Pid, blockKey(e)}
			if e.Attr(mptrace.AttrOK) == "false" {
				on, _, _ := strings.Cut(k.what, "=")
				gaveUp(e, t, k, "it was not "+map[string]string{"event": "set", "cond": "notified"}[on])
				continue
			}
			if !endWait(k, t, false) {
				on, id, _ := strings.Cut(k.what, "=")
				call := map[string]string{"event": "Event.Wait", "cond": "Condition.Wait", "queue": "JoinableQueue.Join"}[on]
				addMark(mark{Pid: e.Pid, T: t, Kind: "waited", Text: fmt.Sprintf("%s: %s on %s returned at once", who(e.Pid), cmp.Or(call, "a wait"), id)})
			}
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
// acquire), queue=<id> (a put or get, or the wait of a JoinableQueue's
// Join), conn=<id> (a send or recv), event=<id> or cond=<id> (a wait).
func blockKey(e *mptrace.Event) string {
	for _, k := range []string{"child", "lock", "sem", "queue", "conn", "event", "cond"} {
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
