package engine

import "testing"

// The headline is the cause, else the first failed rule read from the trace
// or the source, else the first failure: the reason a class's gradebook
// gives must not change with the run the schedule happened to expose.
func TestHeadlinePrefersCauseThenObservedRule(t *testing.T) {
	out := Check{Rule: "every done line comes before the main line", Command: "after", Status: Fail}
	trace := Check{Rule: "every task is joined", Command: "trace", Status: Fail}
	passed := Check{Rule: "main prints once", Command: "count", Status: Pass}
	cause := Check{Rule: "the program exits with code 0", Command: "run", Status: Fail, Cause: true}
	for _, tt := range []struct {
		name   string
		checks []Check
		want   string
	}{
		{"output only", []Check{passed, out}, out.Rule},
		{"output before trace", []Check{out, passed, trace}, trace.Rule},
		{"cause after both", []Check{out, trace, cause}, cause.Rule},
		{"a pass", []Check{passed}, ""},
	} {
		v := &Verdict{Checks: tt.checks}
		got := ""
		if h := v.Headline(); h != nil {
			got = h.Rule
		}
		if got != tt.want {
			t.Errorf("%s: Headline() = %q; want %q", tt.name, got, tt.want)
		}
	}
}
