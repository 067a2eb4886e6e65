package mp_test

// Tests of the trace events the grader and the timeline read
// (docs/trace.md): message ids that pair each put with its get across
// processes, block events written only by calls that wait, the events of
// timed calls that give up, and the lull pauses at message sites. The
// traced processes are children: the test process itself writes no trace.

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/forklore/forklore/internal/mptrace"
	"github.com/forklore/forklore/mp"
)

// ---- targets ----

// getReport gets n items and writes one line per item, in the order got:
// "<pid> <producer> <seq>".
func getReport(q *mp.Queue[item], n int, w *os.File) {
	for range n {
		it, err := q.Get()
		if err != nil {
			panic(err)
		}
		fmt.Fprintln(w, os.Getpid(), it.Producer, it.Seq)
	}
	w.Close()
}

// sendMixed sends n messages "<id> <i>", alternately with Send and
// SendBytes; with big, its first message is larger than the pipe's buffer.
func sendMixed(c *mp.Conn, id, n int, big bool) {
	for i := range n {
		b := []byte(fmt.Sprintf("%d %d", id, i))
		if i == 0 && big {
			b = append(b, make([]byte, 300<<10)...)
		}
		var err error
		if i%2 == 0 {
			err = c.Send(b)
		} else {
			err = c.SendBytes(b)
		}
		if err != nil {
			panic(err)
		}
	}
}

// recvMixed receives n messages with Recv, RecvBytes and RecvBytesInto in
// turn, and writes one line per message: "<pid> <id> <i>".
func recvMixed(c *mp.Conn, n int, w *os.File) {
	buf := make([]byte, 512<<10)
	for i := range n {
		var b []byte
		var err error
		switch i % 3 {
		case 0:
			err = c.Recv(&b)
		case 1:
			b, err = c.RecvBytes()
		default:
			var k int
			k, err = c.RecvBytesInto(buf)
			b = buf[:k]
		}
		if err != nil {
			panic(err)
		}
		f := strings.Fields(string(b[:min(len(b), 32)]))
		fmt.Fprintln(w, os.Getpid(), f[0], strings.TrimRight(f[1], "\x00"))
	}
	w.Close()
}

// getTwice gets an item from an empty queue (it waits), then, once next is
// set, gets one that is already there (it does not).
func getTwice(q *mp.Queue[int], next *mp.Event) {
	for i := range 2 {
		if i == 1 {
			next.Wait()
		}
		if _, err := q.Get(); err != nil {
			panic(err)
		}
	}
}

// waitOnce makes one call that waits until the test lets it go.
func waitOnce(call string, q *mp.Queue[int], jq *mp.JoinableQueue[int], l *mp.Lock, s *mp.Semaphore, e *mp.Event, c *mp.Condition, conn *mp.Conn) {
	switch call {
	case "Put":
		if err := q.Put(2); err != nil {
			panic(err)
		}
	case "Acquire lock":
		l.Acquire()
		l.Release()
	case "Acquire sem":
		s.Acquire()
	case "Wait event":
		e.Wait()
	case "Wait cond":
		c.Acquire()
		if err := c.Wait(); err != nil {
			panic(err)
		}
		c.Release()
	case "Join":
		jq.Join()
	case "Recv":
		var v int
		if err := conn.Recv(&v); err != nil {
			panic(err)
		}
	case "Send":
		for range 400 { // more than the pipe's 256 KiB
			if err := conn.SendBytes(make([]byte, 1024)); err != nil {
				panic(err)
			}
		}
	}
}

// giveUp makes each timed call wait 50 ms for what never comes, and each
// call that does not wait fail at once.
func giveUp(empty, full *mp.Queue[int], l *mp.Lock, r *mp.RLock, s *mp.Semaphore, e *mp.Event, c *mp.Condition) {
	const d = 50 * time.Millisecond
	check := func(ok bool, call string) {
		if ok {
			panic(call + " did not give up")
		}
	}
	_, err := empty.GetTimeout(d)
	check(err == nil, "GetTimeout")
	check(full.PutTimeout(1, d) == nil, "PutTimeout")
	check(l.AcquireTimeout(d), "Lock.AcquireTimeout")
	check(r.AcquireTimeout(d), "RLock.AcquireTimeout")
	check(s.AcquireTimeout(d), "Semaphore.AcquireTimeout")
	check(e.WaitTimeout(d), "Event.WaitTimeout")
	c.Acquire()
	ok, _ := c.WaitTimeout(d)
	check(ok, "Condition.WaitTimeout")
	c.Release()
	// Calls that do not wait leave no trace when they fail.
	_, err = empty.GetNowait()
	check(err == nil, "GetNowait")
	check(full.PutNowait(1) == nil, "PutNowait")
	check(l.TryAcquire(), "TryAcquire")
	check(s.TryAcquire(), "Semaphore.TryAcquire")
	check(e.WaitTimeout(0), "WaitTimeout(0)")
}

// lullWorker says whether it may pause at message sites ("<pid> <0|1>"),
// then makes n calls of one kind: put or get on q, send or recv on c.
func lullWorker(kind string, q *mp.Queue[int], c *mp.Conn, n int, w *os.File) {
	fmt.Fprintln(w, os.Getpid(), mp.MessagePausesLeft())
	w.Close()
	for i := range n {
		var err error
		switch kind {
		case "put":
			err = q.Put(i)
		case "get":
			_, err = q.Get()
		case "send":
			err = c.Send(i)
		case "recv":
			var v int
			err = c.Recv(&v)
		}
		if err != nil {
			panic(err)
		}
	}
}

// ---- helpers ----

// traceTo makes the children the test starts write their trace to a new
// file, and returns its path.
func traceTo(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "trace")
	t.Setenv(mptrace.EnvTrace, path)
	return path
}

// readTrace parses the trace at path.
func readTrace(t *testing.T, path string) []mptrace.Event {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var events []mptrace.Event
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if line == "" {
			continue
		}
		e, err := mptrace.Parse(line)
		if err != nil {
			t.Fatalf("the trace has a line mptrace cannot parse: %v", err)
		}
		events = append(events, e)
	}
	return events
}

// awaitEvent waits until the trace at path has an event that match
// accepts, and returns it: a test waits so for a child to be blocked
// before it lets it go, whatever the machine's load.
func awaitEvent(t *testing.T, path string, match func(*mptrace.Event) bool) mptrace.Event {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		for _, e := range readTrace(t, path) {
			if match(&e) {
				return e
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no such event in the trace after 30 s:\n%s", traceText(readTrace(t, path)))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func traceText(events []mptrace.Event) string {
	var b strings.Builder
	for _, e := range events {
		b.WriteString(e.String() + "\n")
	}
	return b.String()
}

// of returns the events of kind written by pid, in the order written.
func of(events []mptrace.Event, pid int, kind string) []mptrace.Event {
	var out []mptrace.Event
	for _, e := range events {
		if e.Pid == pid && e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// reportLines reads "<pid> <a> <b>" lines into, per pid, the "<a> <b>" in
// order.
func reportLines(t *testing.T, text string) map[int][]string {
	t.Helper()
	out := map[int][]string{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		pid, err := strconv.Atoi(f[0])
		if err != nil || len(f) != 3 {
			t.Fatalf("bad report line %q", sc.Text())
		}
		out[pid] = append(out[pid], f[1]+" "+f[2])
	}
	return out
}

// checkPairs checks that the message events of a run pair up exactly: out
// and in are the put and get (or send and recv) events, and sent and got
// say what each writing process put or got, in its order. Every message
// must have one id, carried by one out and one in event, the out written
// no later than the in, and the two must name the same item.
func checkPairs(t *testing.T, trace []mptrace.Event, outKind, inKind string, sent, got map[int][]string) {
	t.Helper()
	type side struct {
		e    mptrace.Event
		item string
	}
	outs, ins := map[string]side{}, map[string]side{}
	collect := func(kind string, items map[int][]string, into map[string]side) {
		for pid, its := range items {
			evs := of(trace, pid, kind)
			if len(evs) != len(its) {
				t.Fatalf("pid %d wrote %d %s events for %d items:\n%s", pid, len(evs), kind, len(its), traceText(trace))
			}
			for i, e := range evs {
				m := e.Attr(mptrace.AttrMsg)
				if m == "" {
					t.Fatalf("%s has no msg id", e)
				}
				key := channelKey(e) + " " + m
				if prev, dup := into[key]; dup {
					t.Fatalf("two %s events carry message %s: %s and %s", kind, key, prev.e, e)
				}
				into[key] = side{e, its[i]}
			}
		}
	}
	collect(outKind, sent, outs)
	collect(inKind, got, ins)
	if len(outs) != len(ins) {
		t.Errorf("%d %s events, %d %s events; want as many", len(outs), outKind, len(ins), inKind)
	}
	for key, in := range ins {
		out, ok := outs[key]
		switch {
		case !ok:
			t.Errorf("%s has no %s with its message id", in.e, outKind)
		case out.item != in.item:
			t.Errorf("message %s: %s put %q, %s got %q; want the same item", key, out.e.Name, out.item, in.e.Name, in.item)
		case out.e.Mono > in.e.Mono:
			t.Errorf("message %s: its %s (%d) is traced after its %s (%d)", key, outKind, out.e.Mono, inKind, in.e.Mono)
		}
	}
}

// channelKey names the queue, or the Pipe without its end's letter.
func channelKey(e mptrace.Event) string {
	if q := e.Attr("queue"); q != "" {
		return q
	}
	c := e.Attr("conn")
	return c[:len(c)-1]
}

// ---- tests ----

// TestTraceMessageIDsPairPutsWithGets: 2 producers and 2 consumers share a
// bounded queue (so that producers wait), a JoinableQueue, and an
// unbounded queue whose items mostly wait in their producer's buffer and
// go in through the feeder. Each get must carry the id of the put of the
// same item.
func TestTraceMessageIDsPairPutsWithGets(t *testing.T) {
	for _, tc := range []struct {
		name string
		q    func() *mp.Queue[item]
		per  int
		note int // bytes of Note per item
	}{
		{"bounded", func() *mp.Queue[item] { return mp.NewQueue[item](2) }, 200, 0},
		{"joinable", func() *mp.Queue[item] { return &mp.NewJoinableQueue[item](3).Queue }, 200, 0},
		{"feeder", func() *mp.Queue[item] { return mp.NewQueue[item](0) }, 40, 64 << 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := traceTo(t)
			q := tc.q()
			r, w := pipe(t)
			const producers, consumers = 2, 2
			sent := map[int][]string{}
			for id := range producers {
				var p *mp.Process
				if tc.note > 0 {
					p = mp.NewProcess(produceNoted, q, id, tc.per, tc.note)
				} else {
					p = mp.NewProcess(produce, q, id, tc.per)
				}
				start(t, p)
				for i := range tc.per {
					sent[p.Pid()] = append(sent[p.Pid()], fmt.Sprintf("%d %d", id, i))
				}
			}
			var cs []*mp.Process
			for range consumers {
				c := mp.NewProcess(getReport, q, producers*tc.per/consumers, w)
				start(t, c)
				cs = append(cs, c)
			}
			got := reportLines(t, readAll(t, r, w))
			for _, c := range cs {
				joinWithin(t, c)
			}
			checkPairs(t, readTrace(t, path), mptrace.Put, mptrace.Get, sent, got)
		})
	}
}

// produceNoted is produce with a note of size bytes on each item.
func produceNoted(q *mp.Queue[item], id, n, size int) {
	note := strings.Repeat("x", size)
	for i := range n {
		if err := q.Put(item{Producer: id, Seq: i, Note: note}); err != nil {
			panic(err)
		}
	}
}

// TestTraceMessageIDsPairSendsWithRecvs: 2 senders share one end of a
// Pipe and 2 receivers the other, with Send and SendBytes, Recv, RecvBytes
// and RecvBytesInto, and one message larger than the pipe's buffer.
func TestTraceMessageIDsPairSendsWithRecvs(t *testing.T) {
	path := traceTo(t)
	a, b := mp.Pipe()
	r, w := pipe(t)
	const per = 60
	sent := map[int][]string{}
	for id := range 2 {
		p := mp.NewProcess(sendMixed, a, id, per, id == 0)
		start(t, p)
		for i := range per {
			sent[p.Pid()] = append(sent[p.Pid()], fmt.Sprintf("%d %d", id, i))
		}
	}
	var cs []*mp.Process
	for range 2 {
		c := mp.NewProcess(recvMixed, b, per, w)
		start(t, c)
		cs = append(cs, c)
	}
	a.Close()
	b.Close()
	got := reportLines(t, readAll(t, r, w))
	for _, c := range cs {
		joinWithin(t, c)
	}
	checkPairs(t, readTrace(t, path), mptrace.Send, mptrace.Recv, sent, got)
}

// TestTraceBlockOnlyWhenWaiting: a Get on an empty queue writes a block
// event before it waits, and a Get that finds its item writes none.
func TestTraceBlockOnlyWhenWaiting(t *testing.T) {
	path := traceTo(t)
	q := mp.NewQueue[int](0)
	next := mp.NewEvent()
	p := mp.NewProcess(getTwice, q, next)
	start(t, p)
	pid := p.Pid()
	awaitEvent(t, path, func(e *mptrace.Event) bool {
		return e.Pid == pid && e.Kind == mptrace.Block && e.Attr(mptrace.AttrIn) == "Get"
	})
	q.Put(1)
	q.Put(2)
	next.Set()
	joinWithin(t, p)
	trace := readTrace(t, path)
	var seen []string
	for _, e := range trace {
		if e.Pid != pid {
			continue
		}
		switch e.Kind {
		case mptrace.Block:
			seen = append(seen, e.Kind+" "+e.Attr(mptrace.AttrIn))
		case mptrace.Get:
			seen = append(seen, e.Kind+" msg="+e.Attr(mptrace.AttrMsg))
		}
	}
	// The Event's Wait may or may not block: the test may set it first.
	seen = slices.DeleteFunc(seen, func(s string) bool { return s == "block Wait" })
	if want := []string{"block Get", "get msg=0", "get msg=1"}; !slices.Equal(seen, want) {
		t.Errorf("the child's blocks and gets: %q; want %q\n%s", seen, want, traceText(trace))
	}
}

// TestTraceBlockEvents: each call that waits writes block in=<call> and
// what it waits for, then the event of the call when it returns.
func TestTraceBlockEvents(t *testing.T) {
	for _, tc := range []struct {
		call     string
		in, what string // of the block event; what is the key of the object's id
		end      string // the event that ends the wait
		let      func(h *handles)
	}{
		{"Put", "Put", "queue", mptrace.Put, func(h *handles) { h.q.Get() }},
		{"Acquire lock", "Acquire", "lock", mptrace.Acquire, func(h *handles) { h.l.Release() }},
		{"Acquire sem", "Acquire", "sem", mptrace.Acquire, func(h *handles) { h.s.Release() }},
		{"Wait event", "Wait", "event", mptrace.Wait, func(h *handles) { h.e.Set() }},
		{"Wait cond", "Wait", "cond", mptrace.Wait, func(h *handles) { h.c.Acquire(); h.c.NotifyAll(); h.c.Release() }},
		{"Join", "Join", "queue", mptrace.Wait, func(h *handles) { h.jq.Get(); h.jq.TaskDone() }},
		{"Recv", "Recv", "conn", mptrace.Recv, func(h *handles) { h.a.Send(1) }},
		{"Send", "Send", "conn", mptrace.Send, func(h *handles) {
			for range 400 {
				h.a.RecvBytes()
			}
		}},
	} {
		t.Run(tc.call, func(t *testing.T) {
			path := traceTo(t)
			h := newHandles(t)
			p := mp.NewProcess(waitOnce, tc.call, h.q, h.jq, h.l, h.s, h.e, h.c, h.b)
			start(t, p)
			pid := p.Pid()
			block := awaitEvent(t, path, func(e *mptrace.Event) bool {
				return e.Pid == pid && e.Kind == mptrace.Block && e.Attr(mptrace.AttrIn) == tc.in
			})
			id := block.Attr(tc.what)
			if id == "" {
				t.Fatalf("%s; want %s=<id>", block, tc.what)
			}
			tc.let(h)
			joinWithin(t, p)
			trace := readTrace(t, path)
			var end *mptrace.Event
			for i := range trace {
				if e := &trace[i]; e.Pid == pid && e.Kind == tc.end && e.Attr(tc.what) == id && e.Mono >= block.Mono {
					end = e
					break
				}
			}
			if end == nil {
				t.Errorf("no %s %s=%s after %s\n%s", tc.end, tc.what, id, block, traceText(trace))
			} else if end.Attr(mptrace.AttrOK) == "false" {
				t.Errorf("%s; want a call that completed", end)
			}
			if to := block.Attr(mptrace.AttrTimeout); to != "" {
				t.Errorf("%s; want no timeout on an untimed call", block)
			}
		})
	}
}

// handles are one of each object a waitOnce child may wait on, each set
// so that the child's call waits: a full queue, a held lock, an empty
// semaphore, an unset event, a JoinableQueue with an item not done, a Pipe
// nobody sends on or receives from.
type handles struct {
	q    *mp.Queue[int]
	jq   *mp.JoinableQueue[int]
	l    *mp.Lock
	s    *mp.Semaphore
	e    *mp.Event
	c    *mp.Condition
	a, b *mp.Conn
}

func newHandles(t *testing.T) *handles {
	h := &handles{q: mp.NewQueue[int](1), jq: mp.NewJoinableQueue[int](0), l: mp.NewLock(),
		s: mp.NewSemaphore(0), e: mp.NewEvent(), c: mp.NewCondition(nil)}
	h.a, h.b = mp.Pipe()
	if h.q.Put(1) != nil || h.jq.Put(1) != nil {
		t.Fatal("cannot fill the queues")
	}
	h.l.Acquire()
	return h
}

// TestTraceTimedCallsGiveUp: a timed call whose timeout passes writes a
// block event with its timeout, then its event with the timeout and
// ok=false; a call that does not wait writes nothing when it fails.
func TestTraceTimedCallsGiveUp(t *testing.T) {
	path := traceTo(t)
	empty, full := mp.NewQueue[int](0), mp.NewQueue[int](1)
	if full.Put(1) != nil {
		t.Fatal("cannot fill the queue")
	}
	l, rl, s, e, c := mp.NewLock(), mp.NewRLock(), mp.NewSemaphore(0), mp.NewEvent(), mp.NewCondition(nil)
	l.Acquire()
	rl.Acquire()
	p := mp.NewProcess(giveUp, empty, full, l, rl, s, e, c)
	start(t, p)
	joinWithin(t, p)
	if code := exitCode(t, p); code != 0 {
		t.Fatalf("the child exited with %d", code)
	}
	trace := readTrace(t, path)
	var got []string
	for _, e := range trace {
		if e.Pid != p.Pid() {
			continue
		}
		switch e.Kind {
		case mptrace.Begin, mptrace.End:
			continue
		case mptrace.Acquire, mptrace.Release:
			if e.Attr(mptrace.AttrOK) == "" {
				continue // the Condition's own lock, taken and given back
			}
		}
		var b strings.Builder
		b.WriteString(e.Kind)
		for _, a := range e.Attrs {
			v := a.Value
			if slices.Contains([]string{"queue", "lock", "sem", "event", "cond"}, a.Key) {
				v = "ID"
			}
			b.WriteString(" " + a.Key + "=" + v)
		}
		got = append(got, b.String())
	}
	want := []string{
		"block in=Get queue=ID timeout=50", "get queue=ID timeout=50 ok=false",
		"block in=Put queue=ID timeout=50", "put queue=ID timeout=50 ok=false",
		"block in=Acquire lock=ID timeout=50", "acquire lock=ID timeout=50 ok=false",
		"block in=Acquire lock=ID timeout=50", "acquire lock=ID timeout=50 ok=false",
		"block in=Acquire sem=ID timeout=50", "acquire sem=ID timeout=50 ok=false",
		"block in=Wait event=ID timeout=50", "wait event=ID timeout=50 ok=false",
		"block in=Wait cond=ID timeout=50", "wait cond=ID timeout=50 ok=false",
	}
	if !slices.Equal(got, want) {
		t.Errorf("the child's trace:\n\t%s\nwant:\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

// TestTraceLullPausesAtMessageSites: in a lull run, a process that may
// pause at message sites (one in mptrace.MessagePausers) and puts, gets,
// sends or receives many times pauses long at one of those calls, even
// after it has paused at its target; the others do not pause there.
func TestTraceLullPausesAtMessageSites(t *testing.T) {
	path := traceTo(t)
	seed := uint64(1)
	for !mptrace.MessageLullRun(seed) {
		seed++
	}
	t.Setenv(mptrace.EnvPerturb, strconv.FormatUint(seed, 10))
	const n = 100
	site := map[int]string{}   // pid -> the message site it visits
	may := map[int]bool{}      // pid -> it may pause at message sites
	mayAt := map[string]bool{} // a process of the site may pause
	// Start groups until a process of each site may pause: whether one
	// may is drawn from its seed, which the test does not choose.
	for group := 0; group < 20 && len(mayAt) < 4; group++ {
		q := mp.NewQueue[int](0)
		a, b := mp.Pipe()
		r, w := pipe(t)
		var ps []*mp.Process
		for _, kind := range []string{"put", "get", "send", "recv"} {
			c := b
			if kind == "send" {
				c = a
			}
			p := mp.NewProcess(lullWorker, kind, q, c, n, w)
			start(t, p)
			site[p.Pid()] = kind
			ps = append(ps, p)
		}
		a.Close()
		b.Close()
		sc := bufio.NewScanner(strings.NewReader(readAll(t, r, w)))
		for sc.Scan() {
			var pid, left int
			if _, err := fmt.Sscan(sc.Text(), &pid, &left); err != nil {
				t.Fatalf("bad report %q", sc.Text())
			}
			may[pid] = left > 0
			if left > 0 {
				mayAt[site[pid]] = true
			}
		}
		for _, p := range ps {
			joinWithin(t, p)
		}
	}
	if len(mayAt) < 4 {
		t.Fatalf("after 20 groups, processes that may pause at message sites were seen only at %v", mayAt)
	}
	trace := readTrace(t, path)
	for pid, s := range site {
		var at []string
		for _, e := range of(trace, pid, mptrace.Pause) {
			ms, _ := e.Int("ms")
			if d := time.Duration(ms) * time.Millisecond; d < mptrace.MinPause || d > mptrace.MaxPause {
				t.Errorf("%s: a pause of %v; want %v to %v", e, d, mptrace.MinPause, mptrace.MaxPause)
			}
			if a := e.Attr("at"); a != "start" && a != "target" && a != "exit" {
				at = append(at, a)
			}
		}
		want := []string{}
		if may[pid] {
			want = []string{s}
		}
		if !slices.Equal(at, want) {
			t.Errorf("the %s process %d (may pause: %v) paused at message sites %q; want %q", s, pid, may[pid], at, want)
		}
	}
}

// pollAlive starts two children that block on r, asks IsAlive of both 500
// times in turn, terminates the first and asks again, then joins both and
// asks once more.
func pollAlive(r *os.File, w *os.File) {
	a, b := mp.NewProcess(blockOn, r), mp.NewProcess(blockOn, r)
	for _, p := range []*mp.Process{a, b} {
		if err := p.Start(); err != nil {
			panic(err)
		}
	}
	for range 500 {
		a.IsAlive()
		b.IsAlive()
	}
	a.Terminate()
	a.IsAlive()
	a.Join()
	a.IsAlive()
	b.Terminate()
	b.Join()
	fmt.Fprintln(w, a.Pid(), b.Pid())
	w.Close()
}

// TestTraceAlive: IsAlive writes an alive event with its answer, once for
// a run of equal answers with no other event of the process between: a
// loop that polls two processes writes two events, not a thousand. After
// Terminate the next answer is written again, so that a rule can see that
// the program asked after Terminate and before Join.
func TestTraceAlive(t *testing.T) {
	path := traceTo(t)
	r, _ := pipe(t)
	out, outW := pipe(t)
	p := mp.NewProcess(pollAlive, r, outW)
	start(t, p)
	outW.Close()
	line, err := io.ReadAll(out) // w stays open: the children block until they are terminated
	if err != nil {
		t.Fatal(err)
	}
	joinWithin(t, p)
	var a, b int
	if _, err := fmt.Sscan(string(line), &a, &b); err != nil {
		t.Fatalf("pollAlive wrote %q: %v", line, err)
	}
	var seen []string
	for _, e := range readTrace(t, path) {
		if e.Pid != p.Pid() {
			continue
		}
		switch c := e.Attr("child"); {
		case e.Kind == mptrace.Alive && c == strconv.Itoa(a):
			seen = append(seen, "alive a "+e.Attr("alive"))
		case e.Kind == mptrace.Alive && c == strconv.Itoa(b):
			seen = append(seen, "alive b "+e.Attr("alive"))
		case e.Kind == mptrace.Terminate || e.Kind == mptrace.Join:
			seen = append(seen, e.Kind+" "+map[string]string{strconv.Itoa(a): "a", strconv.Itoa(b): "b"}[c])
		}
	}
	want := []string{"alive a true", "alive b true", "terminate a", "alive a true", "join a", "alive a false", "terminate b", "join b"}
	// Right after Terminate the child may already have died and been reaped.
	if len(seen) > 3 && seen[3] == "alive a false" {
		want[3] = "alive a false"
	}
	if !slices.Equal(seen, want) {
		t.Errorf("the alive, terminate and join events: %q; want %q\n%s", seen, want, traceText(readTrace(t, path)))
	}
}
