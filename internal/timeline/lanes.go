package timeline

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/forklore/forklore/internal/mptrace"
)

// makeLanes makes one lane per process: every process that wrote an event,
// and every child a start event names, ordered parent first, then its
// children by start time.
func (b *builder) makeLanes() {
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
