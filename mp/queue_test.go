package mp_test

// Conformance tests ported from the relevant cases of CPython's _TestQueue:
// put and get in every blocking form, full and empty, items put around a
// child's start, timeouts, task_done, closed queues; and the stress test of
// 4 producers and 4 consumers.

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/forklore/forklore/mp"
)

type item struct {
	Producer int
	Seq      int
	Note     string
}

// ---- targets ----

// produce puts n items tagged with id.
func produce(q *mp.Queue[item], id, n int) {
	for i := range n {
		if err := q.Put(item{Producer: id, Seq: i}); err != nil {
			panic(err)
		}
	}
}

// consume gets items until it gets a sentinel (Seq -1), and sends what it
// got back on out.
func consume(q *mp.Queue[item], out *mp.Queue[[]int]) {
	var got []int
	for {
		it, err := q.Get()
		if err != nil {
			panic(err)
		}
		if it.Seq < 0 {
			break
		}
		got = append(got, it.Producer*1_000_000+it.Seq)
	}
	if err := out.Put(got); err != nil {
		panic(err)
	}
}

// getOne gets one item and reports it.
func getOne(q *mp.Queue[item], w *os.File) {
	it, err := q.GetTimeout(30 * time.Second)
	fmt.Fprintln(w, it.Producer, it.Seq, it.Note, err)
	w.Close()
}

// putMany puts n ints and returns: its exit must flush them.
func putMany(q *mp.Queue[int], n int) {
	for i := range n {
		if err := q.Put(i); err != nil {
			panic(err)
		}
	}
}

// doTasks gets ints and marks each done; it runs as a daemon.
func doTasks(q *mp.JoinableQueue[int], done *mp.Value[int64]) {
	for {
		v, err := q.Get()
		if err != nil {
			return
		}
		time.Sleep(time.Duration(v) * time.Microsecond)
		done.Add(1)
		q.TaskDone()
	}
}

// ---- tests ----

func TestQueueBlockingForms(t *testing.T) {
	q := mp.NewQueue[int](3)
	if !q.Empty() || q.Full() || q.Qsize() != 0 {
		t.Fatalf("new queue: Empty %v, Full %v, Qsize %d", q.Empty(), q.Full(), q.Qsize())
	}
	for i := range 3 {
		if err := q.Put(i); err != nil {
			t.Fatalf("Put(%d) = %v", i, err)
		}
	}
	if !q.Full() || q.Qsize() != 3 {
		t.Errorf("after 3 puts: Full %v, Qsize %d; want true, 3", q.Full(), q.Qsize())
	}
	if err := q.PutNowait(3); !errors.Is(err, mp.ErrFull) {
		t.Errorf("PutNowait on a full queue = %v; want %v", err, mp.ErrFull)
	}
	for _, d := range []time.Duration{0, -time.Second} {
		if err := q.PutTimeout(3, d); !errors.Is(err, mp.ErrFull) {
			t.Errorf("PutTimeout(%v) on a full queue = %v; want %v", d, err, mp.ErrFull)
		}
	}
	began := time.Now()
	if err := q.PutTimeout(3, 50*time.Millisecond); !errors.Is(err, mp.ErrFull) {
		t.Errorf("PutTimeout(50ms) on a full queue = %v; want %v", err, mp.ErrFull)
	}
	if waited := time.Since(began); waited < 50*time.Millisecond {
		t.Errorf("PutTimeout(50ms) gave up after %v", waited)
	}
	for i := range 3 {
		got, err := q.GetNowait()
		if err != nil || got != i {
			t.Errorf("GetNowait() = %v, %v; want %d (FIFO)", got, err, i)
		}
	}
	if _, err := q.GetNowait(); !errors.Is(err, mp.ErrEmpty) {
		t.Errorf("GetNowait on an empty queue = %v; want %v", err, mp.ErrEmpty)
	}
	if _, err := q.GetTimeout(0); !errors.Is(err, mp.ErrEmpty) {
		t.Errorf("GetTimeout(0) on an empty queue = %v; want %v", err, mp.ErrEmpty)
	}
	began = time.Now()
	if _, err := q.GetTimeout(50 * time.Millisecond); !errors.Is(err, mp.ErrEmpty) {
		t.Errorf("GetTimeout(50ms) on an empty queue = %v; want %v", err, mp.ErrEmpty)
	}
	if waited := time.Since(began); waited < 50*time.Millisecond {
		t.Errorf("GetTimeout(50ms) gave up after %v", waited)
	}
	if !q.Empty() {
		t.Error("Empty() = false after getting everything")
	}
}

func TestQueueKeepsTypes(t *testing.T) {
	q := mp.NewQueue[any](0)
	in := []any{1, int64(2), 2.5, "s", []byte("b"), nil, map[string]any{"k": []any{1}}}
	for _, v := range in {
		if err := q.Put(v); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range in {
		got, err := q.Get()
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprintf("%T %v", got, got) != fmt.Sprintf("%T %v", want, want) {
			t.Errorf("Get() = %T %v; want %T %v", got, got, want, want)
		}
	}
}

func TestQueueRefusesWhatCannotCross(t *testing.T) {
	q := mp.NewQueue[any](0)
	err := q.Put(mp.NewLock())
	if !errors.Is(err, mp.ErrInheritOnly) || !strings.Contains(err.Error(), "Lock objects should only be shared between processes through inheritance") {
		t.Errorf("Put(Lock) = %v; want Python's inheritance error", err)
	}
	if err := q.Put(make(chan int)); err == nil || !strings.Contains(err.Error(), "channel") {
		t.Errorf("Put(chan) = %v; want an error about channels", err)
	}
	qq := mp.NewQueue[*mp.Queue[int]](0)
	if err := qq.Put(mp.NewQueue[int](0)); !errors.Is(err, mp.ErrInheritOnly) || !strings.Contains(err.Error(), "Queue objects should only be shared") {
		t.Errorf("Put(Queue) = %v; want Python's inheritance error", err)
	}
	if q.Qsize() != 0 {
		t.Errorf("Qsize() = %d after refused puts; want 0", q.Qsize())
	}
}

func TestQueueClosed(t *testing.T) {
	q := mp.NewQueue[int](0)
	q.Put(1)
	q.Close()
	if err := q.Put(2); !errors.Is(err, mp.ErrClosed) || err.Error() != "mp: queue is closed" {
		t.Errorf("Put after Close = %v; want %v", err, mp.ErrClosed)
	}
	if _, err := q.Get(); !errors.Is(err, mp.ErrClosed) {
		t.Errorf("Get after Close = %v; want %v", err, mp.ErrClosed)
	}
}

func TestQueueItemsAroundChildStart(t *testing.T) {
	q := mp.NewQueue[item](0)
	q.Put(item{Seq: 1, Note: "before"})
	r, w := pipe(t)
	p := mp.NewProcess(getOne, q, w)
	start(t, p)
	got := readAll(t, r, w)
	joinWithin(t, p)
	if got != "0 1 before <nil>\n" {
		t.Errorf("child got %q; want the item put before it started", got)
	}
	r2, w2 := pipe(t)
	p2 := mp.NewProcess(getOne, q, w2)
	start(t, p2)
	q.Put(item{Seq: 2, Note: "after"})
	if got := readAll(t, r2, w2); got != "0 2 after <nil>\n" {
		t.Errorf("child got %q; want the item put after it started", got)
	}
	joinWithin(t, p2)
}

func TestUnboundedPutNeverBlocks(t *testing.T) {
	// Far more than the shared buffer holds, with nobody reading yet.
	const n = 300_000
	q := mp.NewQueue[int](0)
	for i := range n {
		if err := q.Put(i); err != nil {
			t.Fatal(err)
		}
	}
	if q.Qsize() != n {
		t.Errorf("Qsize() = %d; want %d", q.Qsize(), n)
	}
	for i := range n {
		got, err := q.Get()
		if err != nil || got != i {
			t.Fatalf("Get() = %d, %v; want %d", got, err, i)
		}
	}
}

func TestChildFlushesPutsBeforeExit(t *testing.T) {
	// The child puts more than the shared buffer holds and returns; its
	// exit waits until the rest is fed in, so nothing is lost.
	const n = 300_000
	q := mp.NewQueue[int](0)
	p := mp.NewProcess(putMany, q, n)
	start(t, p)
	for i := range n {
		got, err := q.GetTimeout(30 * time.Second)
		if err != nil || got != i {
			t.Fatalf("Get() = %d, %v; want %d", got, err, i)
		}
	}
	joinWithin(t, p)
	if code := exitCode(t, p); code != 0 {
		t.Errorf("producer exit code %d", code)
	}
}

func TestManyProducersAndConsumers(t *testing.T) {
	// 4 producers and 4 consumers push 250k items through one bounded
	// queue; none may be lost or duplicated, and each producer's items
	// arrive in order.
	const producers, consumers, per = 4, 4, 250_000 / 4
	q := mp.NewQueue[item](100)
	out := mp.NewQueue[[]int](0)
	var ps, cs []*mp.Process
	for i := range consumers {
		c := mp.NewProcess(consume, q, out)
		start(t, c)
		cs = append(cs, c)
		_ = i
	}
	for i := range producers {
		p := mp.NewProcess(produce, q, i, per)
		start(t, p)
		ps = append(ps, p)
	}
	for _, p := range ps {
		joinWithin(t, p)
	}
	for range consumers {
		q.Put(item{Seq: -1})
	}
	var all []int
	for range consumers {
		got, err := out.GetTimeout(60 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		// Items of one producer reach one consumer in order.
		last := map[int]int{}
		for _, x := range got {
			prod, seq := x/1_000_000, x%1_000_000
			if prev, ok := last[prod]; ok && seq <= prev {
				t.Fatalf("producer %d's item %d came after its item %d", prod, seq, prev)
			}
			last[prod] = seq
		}
		all = append(all, got...)
	}
	for _, c := range cs {
		joinWithin(t, c)
	}
	slices.Sort(all)
	if len(all) != producers*per {
		t.Fatalf("consumers got %d items; want %d", len(all), producers*per)
	}
	for i := 1; i < len(all); i++ {
		if all[i] == all[i-1] {
			t.Fatalf("item %d was consumed twice", all[i])
		}
	}
}

func TestJoinableQueue(t *testing.T) {
	q := mp.NewJoinableQueue[int](0)
	if err := q.TaskDone(); !errors.Is(err, mp.ErrTaskDoneTooMany) || err.Error() != "mp: task_done() called too many times" {
		t.Errorf("TaskDone() on a fresh queue = %v; want %v", err, mp.ErrTaskDoneTooMany)
	}
	done := mp.NewValue[int64](0)
	for range 3 {
		w := mp.NewProcess(doTasks, q, done)
		w.Daemon = true
		start(t, w)
	}
	const n = 200
	for i := range n {
		q.Put(i % 50)
	}
	q.Join()
	if got := done.Load(); got != n {
		t.Errorf("Join returned after %d of %d tasks", got, n)
	}
	q.Join() // nothing pending: returns at once
}
