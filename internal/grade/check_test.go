package grade

import (
	"regexp"
	"strings"
	"testing"
)

// out turns "a|b|c" into numbered stdout lines.
func out(s string) []Line {
	var ls []Line
	for i, t := range strings.Split(s, "|") {
		ls = append(ls, Line{N: i + 1, Stream: Stdout, Text: t})
	}
	return ls
}

var re = regexp.MustCompile

func TestChecks(t *testing.T) {
	tests := []struct {
		name  string
		lines string
		check func([]Line) *Violation
		fail  bool
	}{
		{"count exact", "0 run|1 run|x", func(l []Line) *Violation { return CheckCount(l, re(`\d run`), "==", 2) }, false},
		{"count too few", "0 run|x", func(l []Line) *Violation { return CheckCount(l, re(`\d run`), "==", 2) }, true},
		{"count at least", "0 run|1 run|2 run", func(l []Line) *Violation { return CheckCount(l, re(`run`), ">=", 2) }, false},
		{"count at most broken", "0 run|1 run|2 run", func(l []Line) *Violation { return CheckCount(l, re(`run`), "<=", 2) }, true},
		{"absent", "ok|fine", func(l []Line) *Violation { return CheckAbsent(l, re(`panic`)) }, false},
		{"absent broken", "ok|panic: boom", func(l []Line) *Violation { return CheckAbsent(l, re(`panic`)) }, true},
		{"after", "0 end|1 end|done", func(l []Line) *Violation { return CheckAfter(l, re(`end`), re(`^done`)) }, false},
		{"after too early", "0 end|done|1 end", func(l []Line) *Violation { return CheckAfter(l, re(`end`), re(`^done`)) }, true},
		{"after missing", "0 end|1 end", func(l []Line) *Violation { return CheckAfter(l, re(`end`), re(`^done`)) }, true},
		{"sameset", "put 1|put 2|got 2|got 1", func(l []Line) *Violation { return CheckSameSet(l, re(`put (\d)`), re(`got (\d)`)) }, false},
		{"sameset twice", "put 1|put 2|got 2|got 2", func(l []Line) *Violation { return CheckSameSet(l, re(`put (\d)`), re(`got (\d)`)) }, true},
		{"compare", "took 0.5s|took 1.2s", func(l []Line) *Violation { return CheckCompare(l, re(`took ([\d.]+)s`), "<", 1.5) }, false},
		{"compare too slow", "took 0.5s|took 2s", func(l []Line) *Violation { return CheckCompare(l, re(`took ([\d.]+)s`), "<", 1.5) }, true},
		{"compare not a number", "took xs", func(l []Line) *Violation { return CheckCompare(l, re(`took (\w+)s`), "<", 1.5) }, true},
		{"distinct", "pid 5|pid 6|pid 5", func(l []Line) *Violation { return CheckDistinct(l, re(`pid (\d+)`), ">=", 2) }, false},
		{"distinct too few", "pid 5|pid 5|pid 5", func(l []Line) *Violation { return CheckDistinct(l, re(`pid (\d+)`), ">=", 2) }, true},
		{"disjoint", "main 1|child 2|child 3", func(l []Line) *Violation { return CheckDisjoint(l, re(`child (\d+)`), re(`main (\d+)`)) }, false},
		{"disjoint same pid", "main 1|child 2|child 1", func(l []Line) *Violation { return CheckDisjoint(l, re(`child (\d+)`), re(`main (\d+)`)) }, true},
	}
	for _, tt := range tests {
		v := tt.check(out(tt.lines))
		if got := v != nil; got != tt.fail {
			t.Errorf("%s: check(%q) failed = %v; want %v (%+v)", tt.name, tt.lines, got, tt.fail, v)
		}
		if v != nil && (v.Why == "" || len(v.Lines) > 3) {
			t.Errorf("%s: check(%q) = %+v; want a reason and at most 3 lines", tt.name, tt.lines, v)
		}
	}
}

func TestCheckBefore(t *testing.T) {
	tests := []struct {
		lines string
		fail  bool
	}{
		{"0 run|1 run|1 end|0 end", false},
		{"0 run|0 end|1 run|1 end", false},
		{"0 run|1 end|1 run|0 end", true},
		{"0 run|1 run|0 end", true},
		{"x", false},
	}
	for _, tt := range tests {
		v, err := CheckBefore(out(tt.lines), re(`^(\d) run$`), `^$1 end$`)
		if err != nil {
			t.Fatalf("CheckBefore(%q) error = %v", tt.lines, err)
		}
		if got := v != nil; got != tt.fail {
			t.Errorf("CheckBefore(%q) failed = %v; want %v (%+v)", tt.lines, got, tt.fail, v)
		}
	}
	v, _ := CheckBefore(out("0 run|1 end|1 run|0 end"), re(`^(?P<w>\d) run$`), `^${w} end$`)
	if v == nil || len(v.Lines) != 2 || v.Lines[0].N != 2 || v.Lines[1].N != 3 {
		t.Errorf("CheckBefore with named capture = %+v; want lines 2 and 3 quoted", v)
	}
}

func TestCheckSelectStreams(t *testing.T) {
	all := []Line{{1, Stdout, "a"}, {2, Stderr, "b"}, {3, Stdout, "c"}}
	if got := selectLines(all, Stdout); len(got) != 2 || got[1].N != 2 || got[1].Text != "c" {
		t.Errorf("selectLines(stdout) = %+v; want a, c numbered 1, 2", got)
	}
	if got := selectLines(all, Both); len(got) != 3 {
		t.Errorf("selectLines(both) = %+v; want 3 lines", got)
	}
}

const trace = `100 10 1 "MainProcess" begin
110 10 1 "MainProcess" start child=11 name="Process-1"
111 10 1 "MainProcess" start child=12 name="Process-2"
120 11 10 "Process-1" begin
121 11 10 "Process-1" acquire lock=1
130 12 10 "Process-2" begin
this line is malformed
140 11 10 "Process-1" release lock=1
141 12 10 "Process-2" acquire lock=1
142 12 10 "Process-2" release lock=1
150 11 10 "Process-1" end code=0
151 12 10 "Process-2" end code=0
160 10 1 "MainProcess" exit child=11 code=0
161 10 1 "MainProcess" exit child=12 code=0
170 10 1 "MainProcess" end code=0
`

func TestTraceChecks(t *testing.T) {
	events, bad := ParseTrace(strings.NewReader(trace))
	if len(events) != 14 || len(bad) != 1 {
		t.Fatalf("ParseTrace = %d events, %d malformed; want 14, 1", len(events), len(bad))
	}
	if ev := events[1]; ev.Name != "MainProcess" || ev.Attrs["name"] != "Process-1" || ev.Attrs["child"] != "11" {
		t.Errorf("ParseTrace event 2 = %+v; want MainProcess starting Process-1 pid 11", ev)
	}
	tests := []struct {
		name  string
		edit  func(string) string
		check func([]Event) *Violation
		fail  bool
	}{
		{"exit 0", nil, func(e []Event) *Violation { return CheckTraceExit(e, 0) }, false},
		{"exit -15", func(s string) string { return strings.Replace(s, "child=12 code=0", "child=12 code=-15", 1) },
			func(e []Event) *Violation { return CheckTraceExit(e, 0) }, true},
		{"mutex", nil, CheckTraceMutex, false},
		{"mutex broken", func(s string) string { return strings.Replace(s, "140 11 10", "145 11 10", 1) }, CheckTraceMutex, true},
		{"noorphans", nil, CheckNoOrphans, false},
		{"never joined", func(s string) string {
			return strings.Replace(s, "161 10 1 \"MainProcess\" exit child=12 code=0\n", "", 1)
		}, CheckNoOrphans, true},
		{"outlived", func(s string) string { return s + "180 12 10 \"Process-2\" put queue=1\n" }, CheckNoOrphans, true},
		{"count", nil, func(e []Event) *Violation { return CheckTraceCount(e, "start", "==", 2) }, false},
		{"count broken", nil, func(e []Event) *Violation { return CheckTraceCount(e, "start", "==", 3) }, true},
	}
	for _, tt := range tests {
		text := trace
		if tt.edit != nil {
			text = tt.edit(text)
		}
		events, _ := ParseTrace(strings.NewReader(text))
		if got := tt.check(events); (got != nil) != tt.fail {
			t.Errorf("%s: check = %+v; want failure %v", tt.name, got, tt.fail)
		}
	}
}

func TestServed(t *testing.T) {
	conns := []Conn{
		{Replies: []string{"A"}, First: 1, Close: 5},
		{Replies: []string{"B"}, First: 5, Close: 9},
		{Replies: []string{"C"}, First: 6, Close: 7},
	}
	if got := Served(conns); got != 2 {
		t.Errorf("Served(%v) = %d; want 2", conns, got)
	}
	if v := CheckOverlap(conns, "<=", 1); v == nil {
		t.Errorf("CheckOverlap(<= 1) = nil; want a violation")
	}
	ok := []Conn{{Client: 0, Sent: []string{"hi"}, Replies: []string{"HI pid=7"}}}
	if v, err := CheckReplies(ok, `^{SENT} pid=\d+$`); v != nil || err != nil {
		t.Errorf("CheckReplies(%v) = %v, %v; want nil", ok, v, err)
	}
	bad := []Conn{{Client: 0, Sent: []string{"hi"}, Replies: []string{"hi pid=7"}}, {Client: 1, Sent: []string{"x"}}}
	if v, _ := CheckReplies(bad, `^{SENT} pid=\d+$`); v == nil {
		t.Errorf("CheckReplies(%v) = nil; want a violation", bad)
	}
}

func TestSplitCommand(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{`python3 main.py`, "python3|main.py"},
		{`sh -c 'echo a b'`, "sh|-c|echo a b"},
		{`x "a 'b'" ''`, "x|a 'b'|"},
	}
	for _, tt := range tests {
		got, err := splitCommand(tt.in)
		if err != nil || strings.Join(got, "|") != tt.want {
			t.Errorf("splitCommand(%q) = %q, %v; want %q", tt.in, strings.Join(got, "|"), err, tt.want)
		}
	}
	if _, err := splitCommand(`sh -c 'oops`); err == nil {
		t.Errorf("splitCommand(unterminated) error = nil; want an error")
	}
}

func TestSeedFor(t *testing.T) {
	if got := seedFor(42, 0); got != 42 {
		t.Errorf("seedFor(42, 0) = %d; want 42", got)
	}
	if seedFor(42, 1) == seedFor(42, 2) || seedFor(42, 1) == 42 {
		t.Errorf("seedFor(42, 1..2) repeat; want distinct seeds")
	}
}

func TestSameSetShowsEveryDifference(t *testing.T) {
	var ls []Line
	for i, s := range []string{"put 1", "put 2", "put 3", "got 3", "got 3", "got 1"} {
		ls = append(ls, Line{N: i + 1, Text: s})
	}
	v := CheckSameSet(ls, regexp.MustCompile(`put (\d)`), regexp.MustCompile(`got (\d)`))
	if v == nil {
		t.Fatal("CheckSameSet(put 1 2 3, got 3 3 1) = nil; want a violation")
	}
	for _, want := range []string{`"2" appears 1 times`, `-`, `"2"`, `+`, `"3"`} {
		if !strings.Contains(v.Why, want) {
			t.Errorf("CheckSameSet message = %q; want it to contain %q", v.Why, want)
		}
	}
}
