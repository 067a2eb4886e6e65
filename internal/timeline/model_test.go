package timeline

import (
	"strings"
	"testing"

	"github.com/forklore/forklore/internal/engine"
	"github.com/google/go-cmp/cmp"
)

func TestLanes(t *testing.T) {
	m := build(handMade(), "t", nil, maxDrawn)
	type row struct {
		Pid, Depth int
		Name       string
		Daemon     bool
		Exit       string
		Open       bool
	}
	var got []row
	for _, l := range m.Lanes {
		got = append(got, row{l.Pid, l.Depth, l.Name, l.Daemon, l.Exit, l.Open})
	}
	want := []row{
		{100, 0, "MainProcess", false, "exit 1", false},
		{201, 1, "Process-1", false, "exit -9 (SIGKILL)", false},
		{301, 2, "Process-1:1", false, "no exit traced", true},
		{202, 1, "Process-2", false, "exit 0", false},
		{203, 1, "Process-3", true, "exit -15 (SIGTERM)", false},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("lanes (-want +got):\n%s", diff)
	}
	// A lane runs from the start its parent traced to the exit it traced.
	if l := m.Lanes[1]; l.From != 2e6 || l.To != 44e6 || l.Begin != 5e6 {
		t.Errorf("Process-1 lane = from %d, begin %d, to %d; want from 2e6, begin 5e6, to 44e6", l.From, l.Begin, l.To)
	}
	if l := m.Lanes[0]; l.To != 90e6 {
		t.Errorf("main lane ends at %d; want the run's end, 90e6", l.To)
	}
}

func TestPlaceLines(t *testing.T) {
	m := build(handMade(), "t", nil, maxDrawn)
	want := map[int]struct {
		pid int
		by  string
	}{
		1: {100, onlyOne},
		2: {201, "its text names pid=201"},
		3: {202, "its text names 202, the pid of this process"},
		4: {0, unplaced},
		5: {202, "its text names pid=202"},
		6: {203, "its text names pid=203"},
		7: {0, unplaced},
		8: {100, "its text names pid=100"},
	}
	for _, l := range m.Lines {
		w := want[l.N]
		if l.Pid != w.pid || l.By != w.by {
			t.Errorf("line %d %q: on pid %d because %q; want pid %d because %q", l.N, l.Text, l.Pid, l.By, w.pid, w.by)
		}
	}
	if len(m.Lines) != len(want) {
		t.Errorf("%d lines; want %d", len(m.Lines), len(want))
	}
	if got := m.Lines[5].Rules; !cmp.Equal(got, []string{"exactly one buyer gets each ticket", "a second rule on the same line"}) {
		t.Errorf("line 6 flagged by %q", got)
	}
	if got := m.Rules; len(got) != 3 {
		t.Errorf("rules = %q; want the three distinct rules (two on lines, one on an event)", got)
	}
	if len(m.Flagged) != 1 || m.Flagged[0].Pid != 202 || m.Flagged[0].T != 20.5e6 || !strings.Contains(m.Flagged[0].Text, "acquire lock=lock100.1") {
		t.Errorf("flagged events = %+v; want Process-2's acquire at 20.5 ms", m.Flagged)
	}
}

// TestPlaceBeforeStart checks that a line naming a pid is not put on that
// process's lane before the process started.
func TestPlaceBeforeStart(t *testing.T) {
	rec := handMade()
	rec.Lines = append(rec.Lines, line(9, 1.8, "pid=202 is a number from the future"))
	m := build(rec, "t", nil, maxDrawn)
	l := m.Lines[len(m.Lines)-1]
	if l.Pid != 100 || l.By != onlyOne {
		t.Errorf("line read at 1.8 ms naming pid 202 (started at 3 ms): on pid %d because %q; want main because %q", l.Pid, l.By, onlyOne)
	}
}

func TestArrows(t *testing.T) {
	m := build(handMade(), "t", nil, maxDrawn)
	type row struct {
		Kind, ID, Msg, By string
		From, To          end
	}
	var got []row
	for _, a := range m.Arrows {
		got = append(got, row{a.Kind, a.ID, a.Msg, a.By, a.From, a.To})
	}
	ms := func(x float64) int64 { return int64(x * 1e6) }
	want := []row{
		{"queue", "queue100.3", "201.1", "msg", end{201, ms(13)}, end{202, ms(15)}},
		// Traced get first: the arrow points back in time.
		{"queue", "queue100.3", "201.2", "msg", end{201, ms(16.2)}, end{202, ms(16)}},
		{"queue", "queue100.4", "", "fifo", end{100, ms(21)}, end{301, ms(23)}},
		{"queue", "queue100.4", "", "fifo", end{100, ms(22)}, end{301, ms(24)}},
		{"pipe", "conn100.1 a→b", "", "fifo", end{100, ms(26)}, end{202, ms(27)}},
		{"pipe", "conn100.1 b→a", "", "fifo", end{202, ms(28)}, end{100, ms(29)}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("arrows (-want +got):\n%s", diff)
	}
	var lone []string
	for _, k := range m.Marks {
		if k.Kind == "put" || k.Kind == "get" {
			lone = append(lone, k.Text)
		}
	}
	if len(lone) != 1 || !strings.Contains(lone[0], "no get of it") {
		t.Errorf("unpaired marks = %q; want the one put never got", lone)
	}
}

func TestHoldsAndWaits(t *testing.T) {
	m := build(handMade(), "t", nil, maxDrawn)
	type row struct {
		Pid      int
		Kind     string
		From, To int64
		Open     bool
	}
	ms := func(x float64) int64 { return int64(x * 1e6) }
	collect := func(ss []span) []row {
		var r []row
		for _, s := range ss {
			r = append(r, row{s.Pid, s.Kind, s.From, s.To, s.Open})
		}
		return r
	}
	if diff := cmp.Diff([]row{
		{201, "lock", ms(10), ms(20), false},
		{203, "sem", ms(12), ms(30), false},
		{202, "lock", ms(20.5), ms(25), false},
	}, collect(m.Holds)); diff != "" {
		t.Errorf("holds (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]row{
		{202, "Acquire", ms(11), ms(20.5), false},
		{100, "Join", ms(32), ms(34.1), false},
		{201, "Get", ms(35), ms(40), false},
		{100, "Wait", ms(35.2), ms(37), false},
		{301, "Acquire", ms(36), ms(46), false},
		{100, "Recv", ms(38.5), ms(39), false},
		{301, "Join", ms(47), ms(48), false},
	}, collect(m.Waits)); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
	type more struct {
		On     string
		GaveUp bool
	}
	var ons []more
	for _, w := range m.Waits {
		ons = append(ons, more{w.On, w.GaveUp})
	}
	if diff := cmp.Diff([]more{{"lock", false}, {"child", false}, {"queue", true}, {"event", false}, {"lock", true}, {"conn", false}, {"queue", false}}, ons); diff != "" {
		t.Errorf("waits' objects and give-ups (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]row{{301, "pause", ms(31), ms(71), false}}, collect(m.Pauses)); diff != "" {
		t.Errorf("pauses (-want +got):\n%s", diff)
	}
}

// TestOpenHold checks that a lock never released, and a wait never over,
// are drawn to the end of their lane: a deadlock's picture.
func TestOpenHold(t *testing.T) {
	rec := handMade()
	rec.Events = append(rec.Events,
		ev(50, 100, 1, "MainProcess", "acquire", "lock=lock100.9"),
		ev(51, 100, 1, "MainProcess", "block", "in=Lock.Acquire", "lock=lock100.8"),
	)
	m := build(rec, "t", nil, maxDrawn)
	h, w := m.Holds[len(m.Holds)-1], m.Waits[len(m.Waits)-1]
	if !h.Open || h.From != 50e6 || h.To != 90e6 {
		t.Errorf("open hold = %+v; want from 50e6 to the lane's end 90e6, open", h)
	}
	if !w.Open || w.From != 51e6 || w.To != 90e6 {
		t.Errorf("open wait = %+v; want from 51e6 to the lane's end 90e6, open", w)
	}
}

func TestMarks(t *testing.T) {
	m := build(handMade(), "t", nil, maxDrawn)
	count := map[string]int{}
	for _, k := range m.Marks {
		count[k.Kind]++
	}
	want := map[string]int{"start": 4, "join": 2, "terminate": 1, "kill": 1, "end": 2, "other": 1, "put": 1, "gaveup": 2, "eof": 1, "waited": 1}
	if diff := cmp.Diff(want, count); diff != "" {
		t.Errorf("marks by kind (-want +got):\n%s", diff)
	}
}

// TestNoTrace draws a run of a program that is not an mp program.
func TestNoTrace(t *testing.T) {
	rec := handMade()
	rec.Events = nil
	m := build(rec, "t", nil, maxDrawn)
	if len(m.Lanes) != 0 {
		t.Errorf("%d lanes; want none", len(m.Lanes))
	}
	for _, l := range m.Lines {
		if l.Pid != 0 {
			t.Errorf("line %d on pid %d; want the output lane", l.N, l.Pid)
		}
	}
	if !strings.Contains(strings.Join(m.Legend, " "), "no mp trace") {
		t.Errorf("legend %q does not say that the run wrote no trace", m.Legend)
	}
}

// TestLateLine checks that a line read after its process exited says so.
func TestLateLine(t *testing.T) {
	rec := handMade()
	rec.Lines = append(rec.Lines, line(9, 60, "bye pid=202"))
	m := build(rec, "t", nil, maxDrawn)
	for _, l := range m.Lines {
		if want := l.N == 9; l.Late != want {
			t.Errorf("line %d %q read at %d ns: late = %v; want %v (pid 202 exited at 34 ms)", l.N, l.Text, l.T, l.Late, want)
		}
	}
}

// TestLimit checks that a huge run is cut for the page, keeping flagged
// lines and saying what was left out, and that the export keeps it all.
func TestLimit(t *testing.T) {
	rec := handMade()
	rec.Lines = nil
	for i := range maxDrawn + 10 {
		rec.Lines = append(rec.Lines, line(i+1, 50, "spam pid=100"))
	}
	rec.Flagged = []engine.Flag{{Line: maxDrawn + 5, Rule: "a rule"}}
	m := build(rec, "t", nil, maxDrawn)
	if got, want := len(m.Lines), maxDrawn+1; got != want {
		t.Errorf("%d lines drawn; want %d (the limit, and the flagged line past it)", got, want)
	}
	if last := m.Lines[len(m.Lines)-1]; last.N != maxDrawn+5 {
		t.Errorf("last line drawn is %d; want the flagged %d", last.N, maxDrawn+5)
	}
	if m.Run.Dropped != 9 || !strings.Contains(strings.Join(m.Legend, " "), "9 items are left out") {
		t.Errorf("dropped %d, legend %q; want 9 said in the legend", m.Run.Dropped, m.Legend)
	}
	if all := build(rec, "t", nil, 0); len(all.Lines) != maxDrawn+10 || all.Run.Dropped != 0 {
		t.Errorf("without a limit: %d lines, %d dropped; want all %d", len(all.Lines), all.Run.Dropped, maxDrawn+10)
	}
}

// TestRealRunsPairByMessageID draws real graded runs of the exercises that
// pass messages, through Queues, a JoinableQueue, Pipes and a Pool: every
// arrow is paired by the message id mp traced, none points back in time,
// and every block event is drawn as a wait.
func TestRealRunsPairByMessageID(t *testing.T) {
	for _, ex := range []string{"11-queue-between-processes", "12-producer-consumer", "13-joinable-queue", "14-pipe", "18-process-pool"} {
		t.Run(ex, func(t *testing.T) {
			rec := realRun(t, ex, "")
			m := build(rec, ex, nil, 0)
			want := expect(rec)
			if len(m.Arrows) != want.queuePairs+want.pipePairs || len(m.Arrows) == 0 {
				t.Errorf("%d arrows; want one per message, %d", len(m.Arrows), want.queuePairs+want.pipePairs)
			}
			for _, a := range m.Arrows {
				if a.By != "msg" || a.To.T < a.From.T {
					t.Errorf("arrow %s %s from pid %d at %d to pid %d at %d: paired by %q; want by message id, forward in time",
						a.ID, a.Msg, a.From.Pid, a.From.T, a.To.Pid, a.To.T, a.By)
				}
			}
			if len(m.Waits) != want.waits {
				t.Errorf("%d waits; want one per block event, %d", len(m.Waits), want.waits)
			}
			for _, l := range m.Legend {
				if strings.Contains(l, "first-in first-out") || strings.Contains(l, "back in time") {
					t.Errorf("legend: %q; want messages paired by id only", l)
				}
			}
		})
	}
}
