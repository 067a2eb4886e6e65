package grade

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Event is one line of an mp trace file:
//
//	<mono_ns> <pid> <ppid> <name> <event> [key=value ...]
type Event struct {
	Mono  int64             // CLOCK_MONOTONIC nanoseconds
	Pid   int               // process that wrote the line
	PPid  int               // its parent
	Name  string            // process name, unquoted
	Kind  string            // begin, start, end, exit, acquire, release, put, get, send, recv, ...
	Attrs map[string]string // key=value pairs, values unquoted
	Line  Line              // the raw line and its number in the file
}

// ParseTrace reads a trace. Malformed lines are skipped and returned
// separately so that -v can show them.
func ParseTrace(r io.Reader) (events []Event, malformed []Line) {
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		l := Line{N: n, Text: sc.Text()}
		ev, ok := parseEvent(l)
		if !ok {
			malformed = append(malformed, l)
			continue
		}
		events = append(events, ev)
	}
	// Each process appends its own lines; order all of them by clock.
	slices.SortStableFunc(events, func(a, b Event) int { return int(min(max(a.Mono-b.Mono, -1), 1)) })
	return events, malformed
}

// splitQuoted splits s at spaces, keeping Go-quoted strings whole.
func splitQuoted(s string) ([]string, bool) {
	var fields []string
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimLeft(s, " ") {
		i := strings.IndexByte(s, '"')
		sp := strings.IndexByte(s, ' ')
		if i < 0 || (sp >= 0 && sp < i) {
			if sp < 0 {
				sp = len(s)
			}
			fields = append(fields, s[:sp])
			s = s[sp:]
			continue
		}
		q, err := strconv.QuotedPrefix(s[i:])
		if err != nil {
			return nil, false
		}
		uq, _ := strconv.Unquote(q)
		fields = append(fields, s[:i]+uq)
		s = s[i+len(q):]
	}
	return fields, true
}

func parseEvent(l Line) (Event, bool) {
	f, ok := splitQuoted(l.Text)
	if !ok || len(f) < 5 || !strings.HasPrefix(strings.Fields(l.Text)[3], `"`) {
		return Event{}, false
	}
	mono, err1 := strconv.ParseInt(f[0], 10, 64)
	pid, err2 := strconv.Atoi(f[1])
	ppid, err3 := strconv.Atoi(f[2])
	if err1 != nil || err2 != nil || err3 != nil {
		return Event{}, false
	}
	ev := Event{Mono: mono, Pid: pid, PPid: ppid, Name: f[3], Kind: f[4], Attrs: map[string]string{}, Line: l}
	for _, kv := range f[5:] {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return Event{}, false
		}
		ev.Attrs[k] = v
	}
	return ev, true
}

func (ev Event) who() string { return fmt.Sprintf("%s (pid %d)", ev.Name, ev.Pid) }

// CheckTraceExit reports whether every child reaped in the trace exited
// with the given code (Python style: -15 is death by SIGTERM).
func CheckTraceExit(events []Event, code int) *Violation {
	for _, ev := range events {
		if ev.Kind != "exit" {
			continue
		}
		if c, err := strconv.Atoi(ev.Attrs["code"]); err != nil || c != code {
			return violate(fmt.Sprintf("child pid %s exited with code %s; want %d", ev.Attrs["child"], ev.Attrs["code"], code), ev.Line)
		}
	}
	return nil
}

// CheckTraceMutex reports whether no two processes ever held one lock at once.
func CheckTraceMutex(events []Event) *Violation {
	holder := map[string]Event{}
	for _, ev := range events {
		id := ev.Attrs["lock"]
		switch ev.Kind {
		case "acquire":
			if h, ok := holder[id]; ok && h.Pid != ev.Pid {
				return violate(fmt.Sprintf("%s acquired lock %s while %s still held it", ev.who(), id, h.who()), h.Line, ev.Line)
			}
			holder[id] = ev
		case "release":
			if h, ok := holder[id]; ok && h.Pid == ev.Pid {
				delete(holder, id)
			}
		}
	}
	return nil
}

// CheckNoOrphans reports whether every started child was reaped and no
// process wrote to the trace after the main process ended.
func CheckNoOrphans(events []Event) *Violation {
	started := map[string]Event{}
	var mainEnd *Event
	for i, ev := range events {
		switch ev.Kind {
		case "start":
			started[ev.Attrs["child"]] = ev
		case "exit":
			delete(started, ev.Attrs["child"])
		case "end":
			if ev.Name == "MainProcess" {
				mainEnd = &events[i]
			}
		}
		if mainEnd != nil && ev.Pid != mainEnd.Pid {
			return violate(fmt.Sprintf("%s was still running after the main process ended", ev.who()), mainEnd.Line, ev.Line)
		}
	}
	for _, ev := range events {
		if ev.Kind == "start" {
			if _, ok := started[ev.Attrs["child"]]; ok {
				return violate(fmt.Sprintf("%s started %s (pid %s) but never joined it", ev.who(), ev.Attrs["name"], ev.Attrs["child"]), ev.Line)
			}
		}
	}
	return nil
}

// CheckTraceCount reports whether the number of events of the given kind
// compares to n by op.
func CheckTraceCount(events []Event, kind string, op Op, n int) *Violation {
	var ls []Line
	for _, ev := range events {
		if ev.Kind == kind {
			ls = append(ls, ev.Line)
		}
	}
	if op.holds(float64(len(ls)), float64(n)) {
		return nil
	}
	return violate(fmt.Sprintf("the trace has %d %s events; want %s %d", len(ls), kind, op.words(), n), ls...)
}
