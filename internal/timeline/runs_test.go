package timeline

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/forklore/forklore/internal/course"
	"github.com/forklore/forklore/internal/engine"
	"github.com/forklore/forklore/internal/mptrace"
)

// TestMain lets the grader run this test binary as its shim: the real
// runs the tests draw are graded here, by the engine.
func TestMain(m *testing.M) {
	engine.RunShim()
	code := m.Run()
	stopBrowser()
	os.Exit(code)
}

// graded caches real runs: one grading per target and test binary.
var graded = struct {
	sync.Mutex
	c    *course.Course
	runs map[string]*engine.RunRecord
}{runs: map[string]*engine.RunRecord{}}

// realRun grades the reference solution of exercise (or, with wrong set,
// that known-wrong program) once, and returns its first run, or its
// failing run for a wrong program.
func realRun(t *testing.T, exercise, wrong string) *engine.RunRecord {
	t.Helper()
	return realRunSeed(t, exercise, wrong, 0)
}

// calmSeed is a base seed whose first run is not a lull run: the
// pictures of the chapters show the program's own pace, not the long
// pauses the grader injects in some runs. (A known-wrong program is graded
// until it fails; its failing run may still be a lull run.)
func calmSeed() uint64 {
	base := uint64(1)
	for mptrace.LullRun(mptrace.RunSeed(base, 0)) {
		base++
	}
	return base
}

// realRunSeed is realRun with a base seed; 0 is a random one.
func realRunSeed(t *testing.T, exercise, wrong string, seed uint64) *engine.RunRecord {
	t.Helper()
	graded.Lock()
	defer graded.Unlock()
	key := fmt.Sprintf("%s/%s/%d", exercise, wrong, seed)
	if r, ok := graded.runs[key]; ok {
		return r
	}
	if graded.c == nil {
		root, err := course.FindRoot(".")
		if err != nil {
			t.Fatal(err)
		}
		if graded.c, err = course.Load(root); err != nil {
			t.Fatal(err)
		}
	}
	e := graded.c.Lookup(exercise)
	if e == nil {
		t.Fatalf("no exercise %s in the course", exercise)
	}
	target := course.Target{Exercise: e, Kind: course.Solution}
	if wrong != "" {
		for i := range e.Wrong {
			if e.Wrong[i].Name == wrong {
				target = course.Target{Exercise: e, Kind: course.Mistake, Wrong: &e.Wrong[i]}
			}
		}
		if target.Kind != course.Mistake {
			t.Fatalf("exercise %s has no known-wrong program %s", exercise, wrong)
		}
	}
	// A wrong program may pass a run by luck: grade it until it fails.
	p := engine.Params{Runs: 1, Record: true, Seed: seed}
	if wrong != "" {
		p.Runs = 20
	}
	v, err := engine.Grade(context.Background(), graded.c, target, p)
	if err != nil {
		t.Fatalf("Grade(%s) = %v", target.Label(), err)
	}
	if v.Failing == nil {
		t.Fatalf("Grade(%s) kept no run (status %s)", target.Label(), v.Status)
	}
	if wrong == "" && !v.Passed() {
		t.Fatalf("Grade(%s) = %s; want pass: the reference solution must pass", target.Label(), v.Status)
	}
	if wrong != "" && len(v.Failing.Flagged)+len(v.Failing.FlaggedEvents) == 0 {
		t.Fatalf("Grade(%s): the failing run has no flagged line or event", target.Label())
	}
	graded.runs[key] = v.Failing
	return v.Failing
}

// ev makes a trace event at ms milliseconds, as mp would write it.
func ev(ms float64, pid, ppid int, name, kind string, attrs ...string) mptrace.Event {
	e := mptrace.Event{Mono: origin + int64(ms*1e6), Pid: pid, PPid: ppid, Name: name, Kind: kind}
	for _, a := range attrs {
		k, v, _ := strings.Cut(a, "=")
		e.Attrs = append(e.Attrs, mptrace.Attr{Key: k, Value: v})
	}
	return e
}

const origin = 1_000_000_000

func line(n int, ms float64, text string) engine.Line {
	return engine.Line{N: n, Stream: engine.Stdout, Text: text, Mono: origin + int64(ms*1e6)}
}

// shortLockWait is handMade with one more lock wait, half a microsecond
// long in a 90 ms run: a thousandth of a pixel at any width a screen has.
func shortLockWait() *engine.RunRecord {
	const a, g = 201, 301
	rec := handMade()
	rec.Events = append(rec.Events,
		ev(25.0002, g, a, "Process-1:1", "block", "in=Acquire", "lock=lock100.1"),
		ev(25.0007, g, a, "Process-1:1", "acquire", "lock=lock100.1"),
		ev(25.5, g, a, "Process-1:1", "release", "lock=lock100.1"),
	)
	slices.SortStableFunc(rec.Events, func(x, y mptrace.Event) int { return cmp.Compare(x.Mono, y.Mono) })
	return rec
}

// handMade is a run with one of everything the picture draws: a daemon, a
// grandchild, a lock with a traced wait, a semaphore, a Queue paired by
// message ids (one get traced before its put, as an older mp could), a
// Queue without ids, a Pipe both ways, timed calls that gave up, waits on
// an Event and a JoinableQueue, a receive that found EOF, a terminate, a
// kill, a pause, a kind this package does not know, a process that never
// exits, lines of every placement, and flagged lines.
func handMade() *engine.RunRecord {
	const main, a, b, d, g = 100, 201, 202, 203, 301
	m := "MainProcess"
	rec := &engine.RunRecord{Index: 2, Seed: 18446744073709551615, Start: origin, End: origin + 90e6, Code: 1, Failed: true}
	rec.Events = []mptrace.Event{
		ev(1, main, 1, m, "begin"),
		ev(2, main, 1, m, "start", "child="+strconv.Itoa(a), "name=Process-1", "daemon=false"),
		ev(3, main, 1, m, "start", "child="+strconv.Itoa(b), "name=Process-2", "daemon=false"),
		ev(4, main, 1, m, "start", "child="+strconv.Itoa(d), "name=Process-3", "daemon=true"),
		ev(5, a, main, "Process-1", "begin"),
		ev(5.5, b, main, "Process-2", "begin"),
		ev(6, d, main, "Process-3", "begin"),
		ev(7, a, main, "Process-1", "start", "child="+strconv.Itoa(g), "name=Process-1:1", "daemon=false"),
		ev(8, g, a, "Process-1:1", "begin"),
		ev(10, a, main, "Process-1", "acquire", "lock=lock100.1"),
		ev(11, b, main, "Process-2", "block", "in=Acquire", "lock=lock100.1"),
		ev(20, a, main, "Process-1", "release", "lock=lock100.1"),
		ev(20.5, b, main, "Process-2", "acquire", "lock=lock100.1"),
		ev(25, b, main, "Process-2", "release", "lock=lock100.1"),
		ev(12, d, main, "Process-3", "acquire", "sem=sem100.2"),
		ev(30, d, main, "Process-3", "release", "sem=sem100.2"),
		// A Queue with message ids; the second get is traced before its put.
		ev(13, a, main, "Process-1", "put", "queue=queue100.3", "msg=201.1"),
		ev(15, b, main, "Process-2", "get", "queue=queue100.3", "msg=201.1"),
		ev(16, b, main, "Process-2", "get", "queue=queue100.3", "msg=201.2"),
		ev(16.2, a, main, "Process-1", "put", "queue=queue100.3", "msg=201.2"),
		ev(17, a, main, "Process-1", "put", "queue=queue100.3", "msg=201.3"), // never got
		// A Queue without ids: paired in order.
		ev(21, main, 1, m, "put", "queue=queue100.4"),
		ev(22, main, 1, m, "put", "queue=queue100.4"),
		ev(23, g, a, "Process-1:1", "get", "queue=queue100.4"),
		ev(24, g, a, "Process-1:1", "get", "queue=queue100.4"),
		// A Pipe, both ways: main holds end a, Process-2 end b.
		ev(26, main, 1, m, "send", "conn=conn100.1a"),
		ev(27, b, main, "Process-2", "recv", "conn=conn100.1b"),
		ev(28, b, main, "Process-2", "send", "conn=conn100.1b"),
		ev(29, main, 1, m, "recv", "conn=conn100.1a"),
		ev(31, g, a, "Process-1:1", "pause", "at=exit", "ms=40"),
		// Timed calls that give up, waits, an EOF.
		ev(35, a, main, "Process-1", "block", "in=Get", "queue=queue100.5", "timeout=5"),
		ev(40, a, main, "Process-1", "get", "queue=queue100.5", "timeout=5", "ok=false"),
		ev(36, g, a, "Process-1:1", "block", "in=Acquire", "lock=lock100.6", "timeout=10"),
		ev(46, g, a, "Process-1:1", "acquire", "lock=lock100.6", "timeout=10", "ok=false"),
		ev(35.2, main, 1, m, "block", "in=Wait", "event=event100.7"),
		ev(37, main, 1, m, "wait", "event=event100.7"),
		ev(37.5, main, 1, m, "wait", "event=event100.7"), // set already: no wait
		ev(38.5, main, 1, m, "block", "in=Recv", "conn=conn100.1a"),
		ev(39, main, 1, m, "recv", "conn=conn100.1a", "eof=true"),
		ev(47, g, a, "Process-1:1", "block", "in=Join", "queue=jqueue100.8"),
		ev(48, g, a, "Process-1:1", "wait", "queue=jqueue100.8"),
		ev(32, main, 1, m, "block", "in=Join", "child="+strconv.Itoa(b)),
		ev(33, b, main, "Process-2", "end", "code=0"),
		ev(34, main, 1, m, "exit", "child="+strconv.Itoa(b), "code=0"),
		ev(34.1, main, 1, m, "join", "child="+strconv.Itoa(b), "timeout=none", "exited=true"),
		ev(40, main, 1, m, "terminate", "child="+strconv.Itoa(d)),
		ev(41, main, 1, m, "exit", "child="+strconv.Itoa(d), "code=-15"),
		ev(42, main, 1, m, "join", "child="+strconv.Itoa(a), "timeout=50", "exited=false"),
		ev(43, main, 1, m, "kill", "child="+strconv.Itoa(a)),
		ev(44, main, 1, m, "exit", "child="+strconv.Itoa(a), "code=-9"),
		ev(45, main, 1, m, "mystery", "what=\"a kind from a newer mp\""),
		ev(80, main, 1, m, "end", "code=1"),
	}
	// The engine hands the events over in time order.
	slices.SortStableFunc(rec.Events, func(x, y mptrace.Event) int { return cmp.Compare(x.Mono, y.Mono) })
	rec.Lines = []engine.Line{
		line(1, 1.5, "hello from main"), // only main had started
		line(2, 9, "Process-1 up pid=201"),
		line(3, 9.5, "consumed bone0 by 202"),
		line(4, 14, "no pid here"), // several processes: the output lane
		line(5, 18, "buyer 1 got a ticket pid=202"),
		line(6, 19, "buyer 2 got a ticket pid=203"),
		line(7, 35, `an "odd" line </script><b>not bold</b> & more`),
		line(8, 50, "main pid=100 ppid=1"),
	}
	rec.Lines[1].Stream = engine.Stderr
	rec.Flagged = []engine.Flag{
		{Line: 5, Rule: "exactly one buyer gets each ticket"},
		{Line: 6, Rule: "exactly one buyer gets each ticket"},
		{Line: 6, Rule: "a second rule on the same line"},
	}
	// A trace rule quotes Process-2's acquire.
	for i, e := range rec.Events {
		if e.Kind == mptrace.Acquire && e.Pid == b {
			rec.FlaggedEvents = []engine.Flag{{Line: i + 1, Rule: "no two processes hold one lock at once"}}
		}
	}
	return rec
}

// expected is what a picture of rec must show, counted from the record
// itself, apart from the code that builds the picture.
type expected struct {
	processes     int // every pid that wrote an event or was started
	queuePairs    int // puts matched by a get
	pipePairs     int // sends matched by a recv
	flaggedLines  int
	flaggedEvents int // trace events a rule quoted
	waits         int // block events: each one a wait
	gaveUp        int // timed calls that gave up
}

func expect(rec *engine.RunRecord) expected {
	var x expected
	pids := map[int]bool{}
	type side struct{ out, in int }
	byOrder := map[string]*side{}         // channel -> counts of events without ids
	byMsg := map[string]map[string]bool{} // channel/msg -> sides seen
	for _, e := range rec.Events {
		pids[e.Pid] = true
		if c, ok := e.Int("child"); ok && e.Kind == mptrace.Start {
			pids[c] = true
		}
		if e.Kind == mptrace.Block {
			x.waits++
		}
		if e.Attr(mptrace.AttrOK) == "false" {
			x.gaveUp++
		}
		if e.Attr(mptrace.AttrOK) == "false" || e.Attr("eof") == "true" {
			continue // no message
		}
		var ch string
		var out bool
		switch e.Kind {
		case mptrace.Put, mptrace.Get:
			ch, out = "queue "+e.Attr("queue"), e.Kind == mptrace.Put
		case mptrace.Send, mptrace.Recv:
			// What end a sends, end b receives.
			conn := e.Attr("conn")
			base, end := conn[:len(conn)-1], conn[len(conn)-1:]
			out = e.Kind == mptrace.Send
			if out == (end == "a") {
				ch = "pipe " + base + " a to b"
			} else {
				ch = "pipe " + base + " b to a"
			}
		default:
			continue
		}
		if msg := e.Attr("msg"); msg != "" {
			k := ch + "/" + msg
			if byMsg[k] == nil {
				byMsg[k] = map[string]bool{}
			}
			byMsg[k][strconv.FormatBool(out)] = true
			continue
		}
		if byOrder[ch] == nil {
			byOrder[ch] = &side{}
		}
		if out {
			byOrder[ch].out++
		} else {
			byOrder[ch].in++
		}
	}
	x.processes = len(pids)
	for ch, s := range byOrder {
		n := min(s.out, s.in)
		if strings.HasPrefix(ch, "queue") {
			x.queuePairs += n
		} else {
			x.pipePairs += n
		}
	}
	for k, sides := range byMsg {
		if len(sides) == 2 {
			if strings.HasPrefix(k, "queue") {
				x.queuePairs++
			} else {
				x.pipePairs++
			}
		}
	}
	flagged := map[int]bool{}
	for _, f := range rec.Flagged {
		flagged[f.Line] = true
	}
	x.flaggedLines = len(flagged)
	events := map[int]bool{}
	for _, f := range rec.FlaggedEvents {
		if f.Line >= 1 && f.Line <= len(rec.Events) {
			events[f.Line] = true
		}
	}
	x.flaggedEvents = len(events)
	return x
}
