package engine

import (
	"regexp"
	"strings"
	"testing"

	"github.com/forklore/forklore/internal/mptrace"
)

func parseTrace(t *testing.T, text string) []mptrace.Event {
	t.Helper()
	var es []mptrace.Event
	for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
		e, err := mptrace.Parse(strings.TrimSpace(l))
		if err != nil {
			t.Fatal(err)
		}
		es = append(es, e)
	}
	return es
}

// TestTraceBefore: every A event is followed by a B event with the same
// key; with UNTIL, one that comes before the next UNTIL event with that
// key, as IsAlive consulted after Terminate and before the Join that
// settles it.
func TestTraceBefore(t *testing.T) {
	sel := func(s string) selector { sel, _ := parseSelector(s); return sel }
	joined := sel("join exited=true")
	for _, tc := range []struct {
		name, trace string
		x, y        string
		until       *selector
		bad         int // the offending event's line; 0: none
	}{
		{"every child joined", `
			1 10 1 "MainProcess" start child=11 name=Process-1 daemon=false
			2 10 1 "MainProcess" start child=12 name=Process-2 daemon=false
			3 10 1 "MainProcess" join child=12 timeout=none exited=true
			4 10 1 "MainProcess" join child=11 timeout=none exited=true`, "start", "join exited=true", nil, 0},
		{"one only reaped", `
			1 10 1 "MainProcess" start child=11 name=Process-1 daemon=false
			2 10 1 "MainProcess" start child=12 name=Process-2 daemon=false
			3 10 1 "MainProcess" exit child=11 code=0
			4 10 1 "MainProcess" join child=12 timeout=none exited=true`, "start", "join exited=true", nil, 1},
		{"a timed-out join is no join", `
			1 10 1 "MainProcess" start child=11 name=Process-1 daemon=false
			2 10 1 "MainProcess" join child=11 timeout=50 exited=false`, "start", "join exited=true", nil, 1},
		{"the join must follow the start", `
			1 10 1 "MainProcess" join child=11 timeout=none exited=true
			2 10 1 "MainProcess" start child=11 name=Process-1 daemon=false`, "start", "join exited=true", nil, 2},
		{"alive between terminate and join", `
			1 10 1 "MainProcess" start child=11 name=Process-1 daemon=false
			2 10 1 "MainProcess" terminate child=11
			3 10 1 "MainProcess" alive child=11 alive=true
			4 10 1 "MainProcess" join child=11 timeout=none exited=true
			5 10 1 "MainProcess" alive child=11 alive=false`, "terminate", "alive", &joined, 0},
		{"a timed join that did not settle it does not cut", `
			1 10 1 "MainProcess" terminate child=11
			2 10 1 "MainProcess" join child=11 timeout=20 exited=false
			3 10 1 "MainProcess" alive child=11 alive=true
			4 10 1 "MainProcess" join child=11 timeout=20 exited=true`, "terminate", "alive", &joined, 0},
		{"alive asked before terminate, and after join", `
			1 10 1 "MainProcess" alive child=11 alive=true
			2 10 1 "MainProcess" terminate child=11
			3 10 1 "MainProcess" join child=11 timeout=none exited=true
			4 10 1 "MainProcess" alive child=11 alive=false`, "terminate", "alive", &joined, 2},
		{"another child's join does not cut", `
			1 10 1 "MainProcess" terminate child=11
			2 10 1 "MainProcess" join child=12 timeout=none exited=true
			3 10 1 "MainProcess" alive child=11 alive=true
			4 10 1 "MainProcess" join child=11 timeout=none exited=true`, "terminate", "alive", &joined, 0},
		{"never asked", `
			1 10 1 "MainProcess" terminate child=11`, "terminate", "alive", &joined, 1},
	} {
		v := checkTraceBefore(parseTrace(t, tc.trace), sel(tc.x), sel(tc.y), "child", tc.until)
		switch {
		case tc.bad == 0 && v != nil:
			t.Errorf("%s: trace before = %q; want no violation", tc.name, v.why)
		case tc.bad != 0 && (v == nil || v.lines[0].N != tc.bad):
			t.Errorf("%s: trace before = %+v; want a violation at event %d", tc.name, v, tc.bad)
		}
	}
}

func TestTracePrinted(t *testing.T) {
	events := parseTrace(t, `
		100 10 1 "MainProcess" start child=11 name=Process-1 daemon=false
		200 10 1 "MainProcess" start child=12 name=Process-2 daemon=false
		900 10 1 "MainProcess" end code=0`)
	start, _ := parseSelector("start")
	re := regexp.MustCompile(`^main `)
	for _, tc := range []struct {
		name  string
		lines []Line
		bad   int // the offending line; 0: none
	}{
		{"after the last start", []Line{{N: 1, Text: "child", Mono: 150}, {N: 2, Text: "main pid=10", Mono: 250}}, 0},
		{"between the starts", []Line{{N: 1, Text: "main pid=10", Mono: 150}}, 1},
		{"before any start", []Line{{N: 1, Text: "x"}, {N: 2, Text: "main pid=10", Mono: 50}}, 2},
	} {
		v := checkTracePrinted(events, start, tc.lines, re)
		switch {
		case tc.bad == 0 && v != nil:
			t.Errorf("%s: trace printed = %q; want no violation", tc.name, v.why)
		case tc.bad != 0 && (v == nil || v.lines[0].N != tc.bad):
			t.Errorf("%s: trace printed = %+v; want a violation at line %d", tc.name, v, tc.bad)
		}
	}
	join, _ := parseSelector("join")
	if v := checkTracePrinted(events, join, nil, re); v == nil {
		t.Errorf("trace printed join with no join event = no violation; want one")
	}
}

func TestTraceLead(t *testing.T) {
	get, _ := parseSelector("get")
	join, _ := parseSelector("join")
	events := parseTrace(t, `
		1 10 1 "MainProcess" get queue=q1
		2 10 1 "MainProcess" get queue=q1
		3 10 1 "MainProcess" join child=11 timeout=none exited=true
		4 10 1 "MainProcess" get queue=q2`)
	if v := checkTraceLead(events, get, 2, join, false); v != nil {
		t.Errorf("lead get 2 join = %q; want no violation (the get after the join does not count)", v.why)
	}
	if v := checkTraceLead(events, get, 3, join, false); v == nil || v.lines[0].N != 3 {
		t.Errorf("lead get 3 join = %+v; want a violation at event 3", v)
	}
	if v := checkTraceLead(events[:2], get, 1, join, false); v == nil {
		t.Errorf("lead get 1 join with no join = no violation; want one")
	}
	// ahead: the same, but a trace with no such event holds
	if v := checkTraceLead(events[:2], get, 1, join, true); v != nil {
		t.Errorf("ahead get 1 join with no join = %q; want no violation", v.why)
	}
	if v := checkTraceLead(events, get, 3, join, true); v == nil || v.lines[0].N != 3 {
		t.Errorf("ahead get 3 join = %+v; want a violation at event 3", v)
	}
}

// TestNoOrphans: every child is joined before the program ends, by
// mp.Finish (the main process's end event) or by the program itself; a
// child that mp only reaped while main slept was not joined.
func TestNoOrphans(t *testing.T) {
	for _, tc := range []struct {
		name, trace string
		bad         int // the offending event's line; 0: none
	}{
		{"mp.Finish at the end", `
			1 10 1 "MainProcess" start child=11 name=Process-1 daemon=false
			2 10 1 "MainProcess" exit child=11 code=0
			3 10 1 "MainProcess" end code=0`, 0},
		{"joined by the program, no Finish", `
			1 10 1 "MainProcess" start child=11 name=Process-1 daemon=false
			2 10 1 "MainProcess" exit child=11 code=0
			3 10 1 "MainProcess" join child=11 timeout=none exited=true`, 0},
		{"reaped while main slept, no Finish", `
			1 10 1 "MainProcess" start child=11 name=Process-1 daemon=false
			2 10 1 "MainProcess" start child=12 name=Process-2 daemon=false
			3 10 1 "MainProcess" exit child=11 code=0
			4 10 1 "MainProcess" join child=11 timeout=none exited=true
			5 10 1 "MainProcess" exit child=12 code=0`, 2},
		{"never reaped", `
			1 10 1 "MainProcess" start child=11 name=Process-1 daemon=false
			2 10 1 "MainProcess" end code=0`, 1},
		{"a child's own children end with it", `
			1 10 1 "MainProcess" start child=11 name=Process-1 daemon=false
			2 11 10 "Process-1" start child=12 name=Process-1:1 daemon=false
			3 11 10 "Process-1" exit child=12 code=0
			4 11 10 "Process-1" end code=0
			5 10 1 "MainProcess" exit child=11 code=0
			6 10 1 "MainProcess" join child=11 timeout=none exited=true`, 0},
	} {
		v := checkNoOrphans(&Run{Events: parseTrace(t, tc.trace)})
		switch {
		case tc.bad == 0 && v != nil:
			t.Errorf("%s: noorphans = %q; want no violation", tc.name, v.why)
		case tc.bad != 0 && (v == nil || v.lines[0].N != tc.bad):
			t.Errorf("%s: noorphans = %+v; want a violation at event %d", tc.name, v, tc.bad)
		}
	}
}

// TestInterleave: processes that take a lock for each update alternate;
// one that holds it across all its work makes the others wait it out.
func TestInterleave(t *testing.T) {
	turns := `
		1 11 10 "Process-1" acquire lock=l1
		2 11 10 "Process-1" release lock=l1
		3 12 10 "Process-2" acquire lock=l1
		4 12 10 "Process-2" release lock=l1
		5 11 10 "Process-1" acquire lock=l1
		6 11 10 "Process-1" release lock=l1`
	if v := checkTraceInterleave(parseTrace(t, turns)); v != nil {
		t.Errorf("interleave on alternating holds = %q; want no violation", v.why)
	}
	whole := `
		1 11 10 "Process-1" acquire lock=l1
		2 11 10 "Process-1" acquire lock=l1
		3 11 10 "Process-1" release lock=l1
		4 11 10 "Process-1" release lock=l1
		5 12 10 "Process-2" acquire lock=l1
		6 12 10 "Process-2" release lock=l1
		7 12 10 "Process-2" acquire lock=l1
		8 12 10 "Process-2" release lock=l1`
	if v := checkTraceInterleave(parseTrace(t, whole)); v == nil {
		t.Errorf("interleave on one process after the other = no violation; want one")
	}
}
