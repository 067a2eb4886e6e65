package mp_test

// Fault-injection tests: a process is stopped (SIGSTOP, through
// mp.StopAt) at a chosen point inside an operation, killed there, and the
// survivors must
//
//   - finish: a watchdog of hangLimit catches a hang, and no other bound
//     on time is asserted, so a busy machine only makes them slower;
//   - lose and duplicate nothing that was wholly put (sent, set, added)
//     before the death;
//   - say which process died: a diagnostic or an error naming its pid.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/forklore/forklore/mp"
)

const hangLimit = 60 * time.Second

// ---- targets ----

// getStopped gets from q, stopping while it holds the consumers' lock and
// waits for data.
func getStopped(q *mp.Queue[item]) {
	mp.StopAt("ring.get.wait")
	q.Get()
}

// putBigStopped puts "before", then an item of n bytes, stopping in the
// middle of it.
func putBigStopped(q *mp.Queue[[]byte], n int) {
	mp.StopAt("ring.put.partial")
	q.Put([]byte("before"))
	q.Put(bytes.Repeat([]byte("x"), n))
}

// putTagged puts n items "<tag>0".."<tag>n-1" and returns: its exit flushes
// them.
func putTagged(q *mp.Queue[[]byte], tag string, n int) {
	for i := range n {
		q.Put([]byte(tag + strconv.Itoa(i)))
	}
}

// putThenSay puts 0..n-1 on q, then sets done and returns: its exit
// flushes what the queue could not take yet.
func putThenSay(q *mp.Queue[int], n int, done *mp.Event) {
	for i := range n {
		if err := q.Put(i); err != nil {
			panic(err)
		}
	}
	done.Set()
}

// getSomeThenBlock gets k ints, writes them to w, then waits on block.
func getSomeThenBlock(q *mp.Queue[int], k int, w, block *os.File) {
	for range k {
		v, err := q.Get()
		if err != nil {
			panic(err)
		}
		fmt.Fprintln(w, v)
	}
	w.Close()
	blockOn(block)
}

// sendStopped sends "one" and "two", then n bytes, stopping in the middle.
func sendStopped(c *mp.Conn, n int) {
	mp.StopAt("ring.put.partial")
	c.Send("one")
	c.Send("two")
	c.SendBytes(make([]byte, n))
}

// recvStopped receives on c, stopping while it holds the receivers' lock.
func recvStopped(c *mp.Conn) {
	mp.StopAt("ring.get.wait")
	var s string
	c.Recv(&s)
}

// recvLines receives n strings on c and writes them to w, a line each.
func recvLines(c *mp.Conn, n int, w *os.File) {
	for range n {
		var s string
		if err := c.Recv(&s); err != nil {
			fmt.Fprintln(w, "error:", err)
			break
		}
		fmt.Fprintln(w, s)
	}
	w.Close()
}

// holdCondition adds 1 to v five times holding c's lock, notifies, says
// so, and dies holding the lock when killed.
func holdCondition(c *mp.Condition, v *mp.Value[int64], held *mp.Event) {
	c.Acquire()
	for range 5 {
		v.Add(1)
	}
	c.NotifyAll()
	held.Set()
	time.Sleep(time.Hour)
}

// setStopped sets e, stopping before it wakes the waiters.
func setStopped(e *mp.Event) {
	mp.StopAt("seq.wake")
	e.Set()
}

// releaseStopped releases s, stopping before it wakes a waiter.
func releaseStopped(s *mp.Semaphore) {
	mp.StopAt("sem.release.wake")
	s.Release()
}

// holdValue adds 1 to v and to a[0] n times, then takes both locks, says
// so, and dies holding them when killed.
func holdValue(v *mp.Value[int64], a *mp.Array[int64], n int, held *mp.Event) {
	for range n {
		v.Add(1)
		a.Lock()
		a.Set(0, a.Get(0)+1)
		a.Unlock()
	}
	v.Lock()
	a.Lock()
	held.Set()
	time.Sleep(time.Hour)
}

// started is set by a Pool initializer: the queue a task puts its pid on.
var started *mp.Queue[int]

func setStarted(q *mp.Queue[int]) { started = q }

// stopFirstWorker is a Pool initializer: the first worker to run it stops
// once it has taken a task and before it starts it.
func stopFirstWorker(n *mp.Value[int64]) {
	if n.Add(1) == 1 {
		mp.StopAt("pool.worker.got")
	}
}

// blockIfZero is a Pool task: x*x, except that for 0 it reports its pid
// and waits to be killed.
func blockIfZero(x int) int {
	if x == 0 {
		started.Put(os.Getpid())
		time.Sleep(time.Hour)
	}
	return x * x
}

// poolThenReturn uses a Pool and returns without closing it: its exit
// (Finish) terminates the Pool's daemonic workers.
func poolThenReturn() {
	p, err := mp.NewPool(mp.PoolConfig{Processes: 2})
	if err != nil {
		panic(err)
	}
	if _, err := mp.Map(p, square, []int{1, 2, 3}); err != nil {
		panic(err)
	}
}

// ---- helpers ----

// waitStopped waits until the process is stopped at its fault point.
func waitStopped(t *testing.T, pid int) {
	t.Helper()
	limit := time.Now().Add(hangLimit)
	for time.Now().Before(limit) {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			t.Fatalf("process %d is gone before it stopped: %v", pid, err)
		}
		if i := bytes.LastIndexByte(stat, ')'); i > 0 && i+2 < len(stat) {
			switch stat[i+2] {
			case 'T', 't':
				return
			case 'Z', 'X':
				t.Fatalf("process %d died before it reached its stop", pid)
			}
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("process %d did not stop within %v", pid, hangLimit)
}

// end kills p, stopped or not: "kill" sends SIGKILL, "terminate" SIGTERM
// (and SIGCONT, so that a stopped process gets it). It waits until p is
// reaped.
func end(t *testing.T, p *mp.Process, how string) {
	t.Helper()
	switch how {
	case "kill":
		p.Kill()
	case "terminate":
		p.Terminate()
		syscall.Kill(p.Pid(), syscall.SIGCONT)
	default:
		t.Fatalf("end(%s)", how)
	}
	joinHang(t, p)
	if code, _ := p.ExitCode(); code >= 0 {
		t.Fatalf("%s exited with %d; it should have died by a signal", p.Name, code)
	}
}

// joinHang joins p, failing the test only if it has not exited after
// hangLimit: a hang, whatever the load.
func joinHang(t *testing.T, p *mp.Process) {
	t.Helper()
	if exited, err := p.JoinTimeout(hangLimit); err != nil || !exited {
		t.Fatalf("JoinTimeout(%v) of %s = %v, %v; want true, nil", hangLimit, p.Name, exited, err)
	}
}

// within runs f, failing the test if it has not returned after hangLimit.
func within(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(hangLimit):
		t.Fatalf("%s still blocked after %v", what, hangLimit)
	}
}

// lines collects diagnostics; it is safe from several goroutines.
type lines struct {
	mu   sync.Mutex
	b    bytes.Buffer
	done chan struct{} // for a child's stderr: closed at its EOF
}

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// captureDiagnostics collects this process's diagnostics for the test.
func captureDiagnostics(t *testing.T) *lines {
	l := &lines{}
	t.Cleanup(mp.CaptureDiagnostics(l))
	return l
}

// startWithStderr starts p with its stderr going to the lines returned.
func startWithStderr(t *testing.T, p *mp.Process) *lines {
	t.Helper()
	r, w := pipe(t)
	saved := os.Stderr
	os.Stderr = w
	err := p.Start()
	os.Stderr = saved
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Kill(); p.Join() })
	l := &lines{done: make(chan struct{})}
	go func() {
		io.Copy(l, r)
		close(l.done)
	}()
	return l
}

// all returns everything a child wrote on its stderr, once it has exited.
func (l *lines) all(t *testing.T) string {
	t.Helper()
	select {
	case <-l.done:
	case <-time.After(hangLimit):
		t.Fatalf("a child's stderr still open after %v", hangLimit)
	}
	return l.String()
}

// wantLine checks that some line of text has every one of the parts. A
// part that ends in a digit must not be followed by another digit there,
// so that "pid 42" does not match pid 421.
func wantLine(t *testing.T, text string, parts ...string) {
	t.Helper()
	for _, line := range strings.Split(text, "\n") {
		ok := true
		for _, p := range parts {
			ok = ok && containsWhole(line, p)
		}
		if ok {
			return
		}
	}
	t.Errorf("no diagnostic line has all of %q; got:\n%s", parts, text)
}

func containsWhole(s, part string) bool {
	for i := 0; ; i++ {
		j := strings.Index(s[i:], part)
		if j < 0 {
			return false
		}
		end := i + j + len(part)
		if end == len(s) || s[end] < '0' || s[end] > '9' {
			return true
		}
		i += j
	}
}

// pidText is how diagnostics give p's pid: "pid 4242", after the name
// when the writer knows it ("Process-3 (pid 4242)").
func pidText(p *mp.Process) string { return "pid " + strconv.Itoa(p.Pid()) }

// ---- tests ----

// TestQueueConsumerKilledInGet is the first case: a consumer
// blocked in Get, holding the queue's internal lock, is terminated or
// killed. GetTimeout must not report an empty queue while items are
// queued, a new consumer must not hang, and both must get every item once.
func TestQueueConsumerKilledInGet(t *testing.T) {
	for _, how := range []string{"terminate", "kill"} {
		for _, maxsize := range []int{0, 3} {
			t.Run(fmt.Sprintf("%s/maxsize=%d", how, maxsize), func(t *testing.T) {
				diag := captureDiagnostics(t)
				q := mp.NewQueue[item](maxsize)
				dead := mp.NewProcess(getStopped, q)
				start(t, dead)
				waitStopped(t, dead.Pid())
				end(t, dead, how)
				for i := range 3 {
					if err := q.PutTimeout(item{Seq: i}, hangLimit); err != nil {
						t.Fatalf("Put(%d) after the consumer died = %v", i, err)
					}
				}
				if n := q.Qsize(); n != 3 {
					t.Errorf("Qsize() = %d; want 3", n)
				}
				// This process gets the first with a timeout shorter than
				// the takeover's patience: a Get that waited must not say
				// Empty while items are queued. A new consumer process gets
				// the next.
				within(t, "GetTimeout", func() {
					got, err := q.GetTimeout(20 * time.Millisecond)
					if err != nil || got.Seq != 0 {
						t.Errorf("GetTimeout(20ms) with 3 items queued = %v, %v; want item 0", got, err)
					}
				})
				r, w := pipe(t)
				next := mp.NewProcess(getOne, q, w)
				start(t, next)
				w.Close()
				within(t, "a new consumer", func() {
					if got, _ := io.ReadAll(r); string(got) != "0 1  <nil>\n" {
						t.Errorf("a new consumer got %q; want item 1", got)
					}
				})
				joinHang(t, next)
				if got, err := q.GetNowait(); err != nil || got.Seq != 2 {
					t.Errorf("GetNowait() = %v, %v; want item 2", got, err)
				}
				if _, err := q.GetNowait(); !errors.Is(err, mp.ErrEmpty) || q.Qsize() != 0 {
					t.Errorf("after 3 gets: GetNowait() = %v, Qsize() = %d; want ErrEmpty, 0 (nothing duplicated)", err, q.Qsize())
				}
				wantLine(t, diag.String(), dead.Name, pidText(dead), "died while getting from Queue", "no item was lost")
			})
		}
	}
}

// TestQueueProducerKilledMidPut is the second case: a producer is
// killed in the middle of putting a 4 MiB item (larger than the queue's
// shared buffer). Another producer's exit flush must complete, the items
// put before and after must all arrive once, and Qsize must agree.
func TestQueueProducerKilledMidPut(t *testing.T) {
	for _, how := range []string{"terminate", "kill"} {
		t.Run(how, func(t *testing.T) {
			diag := captureDiagnostics(t)
			q := mp.NewQueue[[]byte](0)
			dead := mp.NewProcess(putBigStopped, q, 4<<20)
			start(t, dead)
			waitStopped(t, dead.Pid())
			// The other producer starts while the dead one holds the
			// producers' side, and buffers its items.
			const n = 100
			other := mp.NewProcess(putTagged, q, "b", n)
			otherErr := startWithStderr(t, other)
			end(t, dead, how)

			var got []string
			within(t, "getting what the producers put", func() {
				for len(got) < n+1 {
					v, err := q.Get()
					if err != nil {
						t.Errorf("Get() = %v", err)
						return
					}
					got = append(got, string(v))
				}
			})
			want := []string{"before"}
			for i := range n {
				want = append(want, "b"+strconv.Itoa(i))
			}
			if !slices.Equal(got, want) {
				t.Errorf("got %q; want %q, once each and no part of the 4 MiB item", got, want)
			}
			joinHang(t, other)
			if code := exitCode(t, other); code != 0 {
				t.Errorf("the other producer exited with %d; want 0", code)
			}
			if v, err := q.GetNowait(); !errors.Is(err, mp.ErrEmpty) || q.Qsize() != 0 {
				t.Errorf("after draining: GetNowait() = %d bytes, %v; Qsize() = %d; want ErrEmpty, 0", len(v), err, q.Qsize())
			}
			// Whoever took the producers' side over said so: the other
			// producer's feeder, or this process's Get, rescuing the item
			// it had started to take.
			wantLine(t, diag.String()+otherErr.all(t), pidText(dead), "died in the middle of putting an item on Queue", "not delivered")
		})
	}
}

// TestExitFlushGivesUpOnDeadConsumer: a producer whose exit flush waits for
// room, when its only consumer is killed, gives up after a bounded time
// with one diagnostic naming the consumer, and says how many items it
// drops. What was in the queue before stays there, once each.
func TestExitFlushGivesUpOnDeadConsumer(t *testing.T) {
	const total, k = 150_000, 10 // more than the 1 MiB shared buffer holds (about 130,000 ints)
	q := mp.NewQueue[int](0)
	r, w := pipe(t)
	block, _ := pipe(t)
	consumer := mp.NewProcess(getSomeThenBlock, q, k, w, block)
	start(t, consumer)
	returned := mp.NewEvent()
	producer := mp.NewProcess(putThenSay, q, total, returned)
	stderr := startWithStderr(t, producer)
	gotByConsumer := readAll(t, r, w)
	within(t, "the producer's puts", func() { returned.Wait() })
	consumer.Kill()
	joinHang(t, consumer)

	joinHang(t, producer) // its exit flush must give up
	if code := exitCode(t, producer); code != 0 {
		t.Errorf("producer exit code %d; want 0", code)
	}
	want := ""
	for i := range k {
		want += strconv.Itoa(i) + "\n"
	}
	if gotByConsumer != want {
		t.Fatalf("the consumer got %q; want 0..%d", gotByConsumer, k-1)
	}
	line := stderr.all(t)
	wantLine(t, line, producer.Name, "gives up flushing", pidText(consumer), "died", "the items are lost")
	var dropped int
	if i := strings.Index(line, "gives up flushing "); i >= 0 {
		fmt.Sscan(line[i+len("gives up flushing "):], &dropped)
	}
	// The items in the queue are the ones after those the consumer got,
	// in order; with the dropped ones they make up everything put.
	inQueue := q.Qsize()
	for i := range inQueue {
		v, err := q.GetNowait()
		if err != nil || v != k+i {
			t.Fatalf("item %d left in the queue = %d, %v; want %d", i, v, err, k+i)
		}
	}
	if _, err := q.GetNowait(); !errors.Is(err, mp.ErrEmpty) {
		t.Errorf("GetNowait after %d items = %v; want ErrEmpty", inQueue, err)
	}
	if dropped <= 0 || k+inQueue+dropped != total {
		t.Errorf("%d got + %d in the queue + %d dropped = %d; want %d", k, inQueue, dropped, k+inQueue+dropped, total)
	}
}

// TestPoolWorkerKilledIdle is the third case: killing idle
// workers, Map keeps working and the Pool replaces them, and Close then
// Join completes.
func TestPoolWorkerKilledIdle(t *testing.T) {
	diag := captureDiagnostics(t)
	p := newPool(t, mp.PoolConfig{Processes: 2})
	items := make([]int, 100)
	for i := range items {
		items[i] = i
	}
	for round := range 5 {
		pids := p.Pids()
		victim := pids[round%len(pids)]
		syscall.Kill(victim, syscall.SIGKILL)
		within(t, "Map after a worker was killed", func() {
			got, err := mp.Map(p, square, items)
			if err != nil {
				t.Errorf("round %d: Map = %v", round, err)
			}
			for i, x := range got {
				if x != i*i {
					t.Errorf("round %d: Map(square)[%d] = %d", round, i, x)
					return
				}
			}
		})
		within(t, "the replacement", func() {
			for slices.Contains(p.Pids(), victim) || len(p.Pids()) != 2 {
				time.Sleep(time.Millisecond)
			}
		})
		wantLine(t, diag.String(), fmt.Sprintf("pid %d) died (exit code -SIGKILL)", victim), "replaces it")
	}
	// Killed right before Close: Join must still return.
	syscall.Kill(p.Pids()[0], syscall.SIGKILL)
	within(t, "Close and Join", func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
		if err := p.Join(); err != nil {
			t.Error(err)
		}
	})
}

// TestPoolWorkerKilledMidTask: a worker killed while it runs a task makes
// that task fail with an error naming it, the other tasks complete, and
// the Pool goes on with a replacement.
func TestPoolWorkerKilledMidTask(t *testing.T) {
	q := mp.NewQueue[int](0)
	p := newPool(t, mp.PoolConfig{Processes: 2, Initializer: setStarted, InitArgs: []any{q}})

	t.Run("ApplyAsync", func(t *testing.T) {
		a := mp.ApplyAsync[int](p, blockIfZero, 0)
		pid, err := q.GetTimeout(hangLimit)
		if err != nil {
			t.Fatal(err)
		}
		others := mp.ApplyAsync[int](p, square, 7)
		syscall.Kill(pid, syscall.SIGKILL)
		_, err = a.GetTimeout(hangLimit)
		var dead *mp.DeadProcessError
		if !errors.Is(err, mp.ErrProcessDied) || !errors.As(err, &dead) || dead.Pid != pid || !strings.HasPrefix(dead.Name, "PoolWorker-") {
			t.Fatalf("Get of the task whose worker was killed = %v; want a DeadProcessError naming pid %d", err, pid)
		}
		if !strings.Contains(err.Error(), fmt.Sprintf("(pid %d) died while running this task", pid)) {
			t.Errorf("error text %q does not say which worker died running the task", err)
		}
		if got, err := others.GetTimeout(hangLimit); got != 49 || err != nil {
			t.Errorf("another task = %d, %v; want 49", got, err)
		}
	})
	t.Run("Map", func(t *testing.T) {
		done := make(chan error, 1)
		var got []int
		go func() {
			var err error
			got, err = mp.Map(p, blockIfZero, []int{0, 1, 2, 3, 4, 5, 6, 7})
			done <- err
		}()
		pid, err := q.GetTimeout(hangLimit)
		if err != nil {
			t.Fatal(err)
		}
		syscall.Kill(pid, syscall.SIGKILL)
		var merr error
		within(t, "Map whose worker was killed", func() { merr = <-done })
		if !errors.Is(merr, mp.ErrProcessDied) || !strings.Contains(merr.Error(), fmt.Sprintf("pid %d", pid)) {
			t.Errorf("Map = %v; want an error naming pid %d", merr, pid)
		}
		for i := 1; i < len(got); i++ {
			if got[i] != i*i {
				t.Errorf("Map result %d = %d; want %d: the other chunks must complete", i, got[i], i*i)
			}
		}
	})
	within(t, "Close and Join", func() {
		p.Close()
		p.Join()
	})
}

// TestPoolTaskTakenNotStarted: a worker killed after it took a task and
// before it started it does not lose the task: another worker runs it.
func TestPoolTaskTakenNotStarted(t *testing.T) {
	diag := captureDiagnostics(t)
	n := mp.NewValue[int64](0)
	p := newPool(t, mp.PoolConfig{Processes: 1, Initializer: stopFirstWorker, InitArgs: []any{n}})
	a := mp.ApplyAsync[int](p, square, 3)
	victim := p.Pids()[0]
	waitStopped(t, victim)
	syscall.Kill(victim, syscall.SIGKILL)
	if got, err := a.GetTimeout(hangLimit); got != 9 || err != nil {
		t.Errorf("the task whose worker died before starting it = %d, %v; want 9, run by the replacement", got, err)
	}
	wantLine(t, diag.String(), fmt.Sprintf("pid %d) died", victim), "replaces it")
	within(t, "Close and Join", func() {
		p.Close()
		p.Join()
	})
}

// TestPoolLeftOpenAtExit: a process that returns with a Pool still open
// ends: Finish terminates the workers, and the Pool must not replace them.
func TestPoolLeftOpenAtExit(t *testing.T) {
	p := mp.NewProcess(poolThenReturn)
	stderr := startWithStderr(t, p)
	joinHang(t, p)
	if code := exitCode(t, p); code != 0 {
		t.Errorf("exit code %d; want 0", code)
	}
	if text := stderr.all(t); text != "" {
		t.Errorf("the child's stderr = %q; want nothing (no worker replaced at exit)", text)
	}
}

// TestPipeSenderKilledMidMessage: a sender killed in the middle of a
// message larger than the pipe's buffer. The receiver gets what was wholly
// sent before, then EOF, and names the sender.
func TestPipeSenderKilledMidMessage(t *testing.T) {
	diag := captureDiagnostics(t)
	a, b := mp.Pipe()
	dead := mp.NewProcess(sendStopped, b, 1<<20)
	start(t, dead)
	b.Close()
	waitStopped(t, dead.Pid())
	end(t, dead, "kill")
	var got []string
	var last error
	within(t, "Recv after the sender died", func() {
		for {
			var v any
			if last = a.Recv(&v); last != nil {
				return
			}
			got = append(got, fmt.Sprint(v))
		}
	})
	if strings.Join(got, ",") != "one,two" || last != io.EOF {
		t.Errorf("received %q, then %v; want [one two], then EOF", got, last)
	}
	wantLine(t, diag.String(), dead.Name, pidText(dead), "died in the middle of sending a message through Pipe", "not delivered")
}

// TestPipeReceiverKilledInRecv: two processes receive on the same end; the
// one blocked in Recv, holding the receivers' lock, is killed. The other
// receives every message once.
func TestPipeReceiverKilledInRecv(t *testing.T) {
	a, b := mp.Pipe()
	dead := mp.NewProcess(recvStopped, b)
	start(t, dead)
	waitStopped(t, dead.Pid())
	end(t, dead, "kill")
	r, w := pipe(t)
	next := mp.NewProcess(recvLines, b, 3, w)
	stderr := startWithStderr(t, next)
	b.Close()
	for _, s := range []string{"x", "y", "z"} {
		if err := a.Send(s); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	var got string
	within(t, "the other receiver", func() {
		b, err := io.ReadAll(r)
		if err != nil {
			t.Error(err)
		}
		got = string(b)
	})
	if got != "x\ny\nz\n" {
		t.Errorf("the other receiver got %q; want x, y, z once each", got)
	}
	joinHang(t, next)
	wantLine(t, stderr.all(t), pidText(dead), "died while receiving from Pipe", next.Name, "took over")
}

// TestConditionHolderKilled: a process dies holding a Condition's lock,
// after notifying. The notified waiter's Wait takes the lock over and
// returns an error naming it; the Value it changed keeps its changes; a
// later Acquire works.
func TestConditionHolderKilled(t *testing.T) {
	diag := captureDiagnostics(t)
	c := mp.NewCondition(nil)
	v := mp.NewValue[int64](0)
	held := mp.NewEvent()
	waited := make(chan error, 1)
	c.Acquire()
	holder := mp.NewProcess(holdCondition, c, v, held)
	go func() {
		_, err := c.WaitTimeout(hangLimit) // lets the holder in, then wants the lock back
		waited <- err
	}()
	start(t, holder)
	if !held.WaitTimeout(hangLimit) {
		t.Fatal("the holder never took the lock")
	}
	end(t, holder, "kill")
	var err error
	within(t, "Wait", func() { err = <-waited })
	var dead *mp.DeadProcessError
	if !errors.As(err, &dead) || dead.Pid != holder.Pid() || dead.Name != holder.Name {
		t.Fatalf("Wait = %v; want a DeadProcessError naming %s %s", err, holder.Name, pidText(holder))
	}
	if got := v.Load(); got != 5 {
		t.Errorf("the Value the holder added to = %d; want 5", got)
	}
	if err := c.NotifyAll(); err != nil {
		t.Errorf("NotifyAll after Wait took the lock over = %v; the caller must hold it", err)
	}
	c.Release()
	within(t, "Acquire", func() { c.Acquire() })
	c.Release()
	if strings.TrimSpace(diag.String()) != "" {
		t.Errorf("diagnostics = %q; want none: Wait's error says it", diag.String())
	}

	// Acquire, which has no error to return, says it in one line.
	other := mp.NewProcess(holdCondition, c, v, held)
	held.Clear()
	start(t, other)
	if !held.WaitTimeout(hangLimit) {
		t.Fatal("the second holder never took the lock")
	}
	end(t, other, "terminate")
	within(t, "Acquire", func() { c.Acquire() })
	c.Release()
	wantLine(t, diag.String(), "took over the lock of Condition", other.Name, pidText(other))
}

// TestWakerKilledBeforeWake: a process dies between setting an Event (or
// releasing a Semaphore) and waking the process waiting for it. The waiter
// wakes all the same, and names it.
func TestWakerKilledBeforeWake(t *testing.T) {
	e := mp.NewEvent()
	s := mp.NewSemaphore(0)
	for _, tc := range []struct {
		name   string
		handle any                // what the waiter sleeps on
		wait   func() bool        // the waiter's call
		waker  *mp.Process        // stops between its change and its wakeup
		check  func(t *testing.T) // what must hold after
		says   string
	}{
		{"Event", e, func() bool { return e.WaitTimeout(hangLimit) }, mp.NewProcess(setStopped, e),
			func(t *testing.T) {}, "set Event"},
		{"Semaphore", s, func() bool { return s.AcquireTimeout(hangLimit) }, mp.NewProcess(releaseStopped, s),
			func(t *testing.T) {
				if v := s.Value(); v != 0 {
					t.Errorf("Value() after the waiter took the unit = %d; want 0", v)
				}
			}, "released Semaphore"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			diag := captureDiagnostics(t)
			woke := make(chan bool, 1)
			go func() { woke <- tc.wait() }()
			within(t, "the waiter falling asleep", func() {
				for mp.Sleepers(tc.handle) == 0 {
					time.Sleep(time.Millisecond)
				}
			})
			start(t, tc.waker)
			waitStopped(t, tc.waker.Pid())
			end(t, tc.waker, "kill")
			if !<-woke {
				t.Fatalf("the waiter gave up after %v: the change was never noticed", hangLimit)
			}
			tc.check(t)
			wantLine(t, diag.String(), tc.waker.Name, pidText(tc.waker), tc.says, "died before waking")
		})
	}
}

// TestValueHolderKilled: a process dies holding a Value's and an Array's
// locks; the next user of each takes it over, names it, and finds every
// update the dead process finished.
func TestValueHolderKilled(t *testing.T) {
	diag := captureDiagnostics(t)
	v := mp.NewValue[int64](0)
	a := mp.NewArray([]int64{0, 0})
	held := mp.NewEvent()
	holder := mp.NewProcess(holdValue, v, a, 1000, held)
	start(t, holder)
	if !held.WaitTimeout(hangLimit) {
		t.Fatal("the holder never took the locks")
	}
	end(t, holder, "terminate")
	within(t, "Add", func() {
		if got := v.Add(1); got != 1001 {
			t.Errorf("Add(1) after the holder's 1000 = %d; want 1001", got)
		}
	})
	within(t, "Array.Get", func() {
		if got := a.Get(0); got != 1000 {
			t.Errorf("a[0] = %d; want 1000", got)
		}
	})
	wantLine(t, diag.String(), "took over the lock of Value", holder.Name, pidText(holder))
	wantLine(t, diag.String(), "took over the lock of Array", holder.Name, pidText(holder))
}

// TestHandlesGiveMemoryBack makes and drops Locks and Queues in loops: the
// number of mappings this process has must stay within a constant of where
// it started (no vm.max_map_count exhaustion), and so must its memory.
// MP_MEMTEST_SCALE multiplies the loops (40 gives the 1,000,000
// Locks and 100,000 Queues); the figures are logged.
func TestHandlesGiveMemoryBack(t *testing.T) {
	scale := 1
	if s := os.Getenv("MP_MEMTEST_SCALE"); s != "" {
		scale, _ = strconv.Atoi(s)
	}
	for _, tc := range []struct {
		name string
		n    int
		f    func()
	}{
		{"NewLock+Acquire+Release", 25_000 * scale, func() {
			l := mp.NewLock()
			l.Acquire()
			l.Release()
		}},
		{"NewQueue+Put+Get", 2_500 * scale, func() {
			q := mp.NewQueue[int](0)
			q.Put(1)
			q.Get()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runtime.GC()
			maps0, rss0 := mapCount(t), rssKiB(t)
			maxMaps, maxRSS := maps0, rss0
			sample := func() {
				maxMaps, maxRSS = max(maxMaps, mapCount(t)), max(maxRSS, rssKiB(t))
			}
			for i := range tc.n {
				tc.f()
				if i%1000 == 999 {
					sample()
				}
			}
			sample()
			t.Logf("%d × %s: mappings %d at the start, at most %d (+%d); RSS %d KiB at the start, at most %d KiB (+%d KiB); %d regions not yet given back at the end",
				tc.n, tc.name, maps0, maxMaps, maxMaps-maps0, rss0, maxRSS, maxRSS-rss0, mp.Mappings())
			if maxMaps-maps0 > 3000 {
				t.Errorf("mappings grew by %d over %d iterations; want at most 3000", maxMaps-maps0, tc.n)
			}
			if maxRSS-rss0 > 128<<10 {
				t.Errorf("RSS grew by %d KiB over %d iterations; want at most 128 MiB", maxRSS-rss0, tc.n)
			}
		})
	}
}

func mapCount(t *testing.T) int {
	b, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Skip("no /proc/self/maps:", err)
	}
	return bytes.Count(b, []byte("\n"))
}

func rssKiB(t *testing.T) int {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status:", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			var kib int
			fmt.Sscan(rest, &kib)
			return kib
		}
	}
	t.Skip("no VmRSS in /proc/self/status")
	return 0
}
