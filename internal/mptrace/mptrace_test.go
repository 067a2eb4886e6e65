package mptrace

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRoundTrip(t *testing.T) {
	for _, e := range []Event{
		{Mono: 1, Pid: 10, PPid: 1, Name: "MainProcess", Kind: Begin},
		{Mono: 123456789, Pid: 42, PPid: 10, Name: "Process-2:1", Kind: Start,
			Attrs: []Attr{{"child", "43"}, {"name", "worker 1"}, {"daemon", "true"}}},
		{Mono: 5, Pid: 42, PPid: 10, Name: `we"ird name`, Kind: Put, Attrs: []Attr{{"queue", "q1.3"}, {AttrMsg, "42"}}},
		{Mono: 6, Pid: 42, PPid: 10, Name: "Process-1", Kind: Block, Attrs: []Attr{{AttrIn, "Get"}, {"queue", "q1.3"}, {AttrTimeout, "0.25"}}},
		{Mono: 7, Pid: 42, PPid: 10, Name: "Process-1", Kind: Get, Attrs: []Attr{{"queue", "q1.3"}, {AttrTimeout, "0.25"}, {AttrOK, "false"}}},
		{Mono: 8, Pid: 42, PPid: 10, Name: "Process-1", Kind: Wait, Attrs: []Attr{{"event", "event1.2"}, {AttrTimeout, "100"}, {AttrOK, "true"}}},
		{Mono: 5, Pid: 42, PPid: 10, Name: "", Kind: Pause, Attrs: []Attr{{"at", "put"}, {"ms", "250"}, {"note", ""}}},
		{Mono: 5, Pid: 42, PPid: 0, Name: "日本", Kind: "future_kind", Attrs: []Attr{{"x", "a=b c"}, {"y", "\x1b[2J"}}},
	} {
		line := e.String()
		got, err := Parse(line)
		if err != nil {
			t.Errorf("Parse(%q) = %v", line, err)
			continue
		}
		if d := cmp.Diff(e, got); d != "" {
			t.Errorf("Parse(%q) differs from what was written (-want +got):\n%s", line, d)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, line := range []string{
		``,
		`0 ""0""0"""0"`, // the crafted line that once crashed the grader
		`1 2 3 MainProcess begin`,
		`1 2 3 "MainProcess"`,
		`1 2 3 "MainProcess" `,
		`x 2 3 "MainProcess" begin`,
		`1 0 3 "MainProcess" begin`,
		`-1 2 3 "MainProcess" begin`,
		`1 2 3 "MainProcess" Begin`,
		`1 2 3 "MainProcess" begin child`,
		`1 2 3 "MainProcess" begin child=`,
		`1 2 3 "MainProcess" begin child=1  code=2`,
		`1 2 3 "MainProcess" begin child=1 `,
		`1 2 3 "MainProcess" begin child="1`,
		`1 2 3 "MainProcess" begin child="1"code=2`,
		`1 2 3 "MainProcess" begin child=a"b`,
		`1 2 3 "Main` + strings.Repeat("x", MaxLine) + `" begin`,
	} {
		if e, err := Parse(line); !errors.Is(err, ErrMalformed) {
			t.Errorf("Parse(%q) = %+v, %v; want ErrMalformed", line, e, err)
		}
	}
}

func TestRunSeed(t *testing.T) {
	if got := RunSeed(42, 0); got != 42 {
		t.Errorf("RunSeed(42, 0) = %d; want 42", got)
	}
	seen := map[uint64]int{}
	for k := range 100 {
		s := RunSeed(42, k)
		if j, ok := seen[s]; ok {
			t.Fatalf("RunSeed(42, %d) = RunSeed(42, %d) = %d; want distinct seeds", k, j, s)
		}
		seen[s] = k
	}
	lulls := 0
	for k := 1; k <= 30; k++ {
		if LullRun(RunSeed(42, k)) {
			lulls++
			if k%LullEvery != 1 {
				t.Errorf("run %d is a lull run; want only runs 1, 4, 7, ...", k)
			}
		}
	}
	if lulls != 10 {
		t.Errorf("%d lull runs in runs 1..30; want 10", lulls)
	}
	if ProcessSeed(7, "") == ProcessSeed(7, "1") || ProcessSeed(7, "1") == ProcessSeed(7, "2") {
		t.Error("ProcessSeed gives two processes the same sequence")
	}
}

// TestPauseFor: in a lull run every site visit pauses, for MinPause to
// MaxPause, so that a lull is certain, not likely.
func TestPauseFor(t *testing.T) {
	for i := range uint64(1000) {
		d, ok := PauseFor(Mix(i))
		if !ok || d < MinPause || d > MaxPause {
			t.Fatalf("PauseFor(Mix(%d)) = %v, %v; want a pause of %v to %v", i, d, ok, MinPause, MaxPause)
		}
	}
}

// TestMessagePauseFor: one message-site visit in MessagePauseOdds of a
// lull run pauses, for MinPause to MaxPause.
func TestMessagePauseFor(t *testing.T) {
	const n = 4000
	paused := 0
	for i := range uint64(n) {
		d, ok := MessagePauseFor(Mix(i))
		if !ok {
			continue
		}
		paused++
		if d < MinPause || d > MaxPause {
			t.Fatalf("MessagePauseFor(Mix(%d)) = %v; want a pause of %v to %v", i, d, MinPause, MaxPause)
		}
	}
	if want := n / MessagePauseOdds; paused < want*8/10 || paused > want*12/10 {
		t.Errorf("%d of %d visits pause; want about %d", paused, n, want)
	}
}

// TestMessageLullRun: some lull runs, and only lull runs, pause at
// message sites.
func TestMessageLullRun(t *testing.T) {
	lulls, msg := 0, 0
	for s := range uint64(3000) {
		if MessageLullRun(s) && !LullRun(s) {
			t.Fatalf("run %d pauses at message sites but is no lull run", s)
		}
		if LullRun(s) {
			lulls++
		}
		if MessageLullRun(s) {
			msg++
		}
	}
	if want := lulls / MessageLullEvery; msg < want*8/10 || msg > want*12/10 {
		t.Errorf("%d of %d lull runs pause at message sites; want about %d", msg, lulls, want)
	}
}

// TestMessagePauses: one process in MessagePausers may pause at message
// sites, and which ones is a matter of their seeds.
func TestMessagePauses(t *testing.T) {
	const n = 4000
	may := 0
	for i := range n {
		switch MessagePauses(ProcessSeed(7, strconv.Itoa(i))) {
		case MaxMessagePauses:
			may++
		case 0:
		default:
			t.Fatalf("MessagePauses = %d; want 0 or %d", MessagePauses(ProcessSeed(7, strconv.Itoa(i))), MaxMessagePauses)
		}
	}
	if want := n / MessagePausers; may < want*8/10 || may > want*12/10 {
		t.Errorf("%d of %d processes may pause at message sites; want about %d", may, n, want)
	}
}

// FuzzParse checks that Parse never panics, and that whatever it accepts
// is written back by String as a line that parses to the same event.
func FuzzParse(f *testing.F) {
	f.Add(`0 ""0""0"""0"`)
	f.Add(`12 3 1 "MainProcess" begin`)
	f.Add(`12 3 1 "Process-1" start child=4 name="Process-1:1" daemon=false`)
	f.Add(`12 3 1 "Process-1" put queue=q1 msg=3.1`)
	f.Add(`12 3 1 "P" x a="\x00" b=c`)
	f.Fuzz(func(t *testing.T, line string) {
		e, err := Parse(line)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Parse(%q) = %v; want an ErrMalformed error", line, err)
			}
			return
		}
		again, err := Parse(e.String())
		if err != nil {
			t.Fatalf("Parse(String(Parse(%q))) = %v", line, err)
		}
		if d := cmp.Diff(e, again); d != "" {
			t.Fatalf("round trip of %q differs:\n%s", line, d)
		}
	})
}
