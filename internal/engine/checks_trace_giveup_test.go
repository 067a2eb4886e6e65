package engine

import "testing"

// TestTraceGiveUpIsNoOperation: the event of a timed call that gave up
// (ok=false) is not the operation: an acquire that timed out holds no
// lock, and a get that timed out is no item, unless a rule asks for them.
func TestTraceGiveUpIsNoOperation(t *testing.T) {
	events := parseTrace(t, `
		1 10 1 "MainProcess" acquire lock=lock1.1
		2 11 10 "Process-1" block in=Acquire lock=lock1.1 timeout=50
		3 11 10 "Process-1" acquire lock=lock1.1 timeout=50 ok=false
		4 11 10 "Process-1" get queue=queue1.2 msg=0
		5 11 10 "Process-1" get queue=queue1.2 timeout=50 ok=false
		6 10 1 "MainProcess" release lock=lock1.1`)
	if v := checkTraceMutex(events); v != nil {
		t.Errorf("checkTraceMutex = %v; want no violation: the acquire that timed out holds nothing", v.why)
	}
	for _, tc := range []struct {
		sel  string
		want int
	}{
		{"get", 1},
		{"get ok=false", 1},
		{"get timeout=50", 1},
		{"get ok=true", 0},
		{"get timeout=50 ok=false", 1},
		{"acquire", 1},
		{"acquire ok=false", 1},
		{"block in=Acquire", 1},
	} {
		sel, err := parseSelector(tc.sel)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for i := range events {
			if sel.match(&events[i]) {
				n++
			}
		}
		if n != tc.want {
			t.Errorf("%q matches %d events; want %d", tc.sel, n, tc.want)
		}
	}
}
