package engine

import (
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

func TestTraceBefore(t *testing.T) {
	start := func(s string) selector { sel, _ := parseSelector(s); return sel }
	for _, tc := range []struct {
		name, trace string
		bad         int // the offending event's line; 0: none
	}{
		{"every child joined", `
			1 10 1 "MainProcess" start child=11 name=Process-1 daemon=false
			2 10 1 "MainProcess" start child=12 name=Process-2 daemon=false
			3 10 1 "MainProcess" join child=12 timeout=none exited=true
			4 10 1 "MainProcess" join child=11 timeout=none exited=true`, 0},
		{"one only reaped", `
			1 10 1 "MainProcess" start child=11 name=Process-1 daemon=false
			2 10 1 "MainProcess" start child=12 name=Process-2 daemon=false
			3 10 1 "MainProcess" exit child=11 code=0
			4 10 1 "MainProcess" join child=12 timeout=none exited=true`, 1},
		{"a timed-out join is no join", `
			1 10 1 "MainProcess" start child=11 name=Process-1 daemon=false
			2 10 1 "MainProcess" join child=11 timeout=50 exited=false`, 1},
		{"the join must follow the start", `
			1 10 1 "MainProcess" join child=11 timeout=none exited=true
			2 10 1 "MainProcess" start child=11 name=Process-1 daemon=false`, 2},
	} {
		v := checkTraceBefore(parseTrace(t, tc.trace), start("start"), start("join exited=true"), "child")
		switch {
		case tc.bad == 0 && v != nil:
			t.Errorf("%s: trace before = %q; want no violation", tc.name, v.why)
		case tc.bad != 0 && (v == nil || v.lines[0].N != tc.bad):
			t.Errorf("%s: trace before = %+v; want a violation at event %d", tc.name, v, tc.bad)
		}
	}
}
