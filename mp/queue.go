package mp

import (
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
	"weak"

	"github.com/forklore/forklore/internal/mptrace"
	"github.com/forklore/forklore/mp/internal/shm"
)

// Errors returned by Queue methods. Match them with errors.Is.
var (
	// ErrFull is returned by PutNowait and PutTimeout when a bounded queue
	// stays full (Python's queue.Full).
	ErrFull = errors.New("mp: queue is full")

	// ErrEmpty is returned by GetNowait and GetTimeout when no item comes
	// (Python's queue.Empty).
	ErrEmpty = errors.New("mp: queue is empty")

	// ErrClosed is matched by the errors of a Queue's Put and Get, and of
	// a Conn's Send and Recv, after Close in this process.
	ErrClosed = errors.New("mp: closed")

	// ErrTaskDoneTooMany is returned by TaskDone when it is called more
	// times than items were put.
	ErrTaskDoneTooMany = errors.New("mp: task_done() called too many times")
)

// Queue layout in its region. The ring counts the items in it, so an item
// is counted from the moment its last byte is in the ring; an unbounded
// queue's items that wait in their producer (its backlog) are counted in
// that producer's member slot and in queuePending. A bounded queue's ring
// holds at most maxsize items, so taking a place and filling it is one step.
//
// The member slots say which processes use the queue, for what a process
// that dies leaves behind: the items it still had in its backlog (lost with
// it, and no longer counted), and whether anyone is left to get what an
// exiting producer is still flushing. A slot is a pid, then a word holding
// memberGot (the process has got from the queue) and its backlog's length.
const (
	queueMembers     = 0
	memberSlots      = 64
	memberSize       = 8
	queuePending     = memberSlots * memberSize                  // int64: items in producers' backlogs
	queueFlags       = queuePending + 8                          // uint32: the flag bits below
	queueDone        = queuePending + 64                         // uint32: TaskDone calls, mod 2^32
	queueJoiners     = queueDone + 4                             // uint32: processes in Join
	queueOwnerState  = queueDone + 8                             // int64: what the queue's one consumer does (a Pool worker's task)
	queueJoinSeq     = queueDone + 64                            // Seq: bumped when nothing is unfinished
	queueRing        = (queueJoinSeq + shm.SeqSize + 127) &^ 127 // the ring's lines in pairs of their own
	queueRingCap     = 1 << 20                                   // bytes of items in flight before producers buffer or wait
	memberGot        = 1 << 31
	memberPending    = memberGot - 1
	flagMembersFull  = 1 << 0 // some process found no free member slot
	flagConsumerDied = 1 << 1 // a process that got from the queue died
)

// spillAfter bounds how long an unbounded Put waits for readers. One that
// finds the ring full waits up to spillAfter for them to make room before
// it keeps the item in this process (the backlog), and one that finds a
// ring's worth of items in the backlog waits up to spillAfter at a time
// while the feeder keeps moving them into the ring. Readers that keep up
// make room within it: a producer faster than its readers is held to their
// pace, instead of copying every item into a backlog that grows without
// end. Readers that make no room within it (there are none yet, or they
// are busy elsewhere) cost one Put this wait, once: until they take
// something again, the next Puts go to the backlog at once, as Python's do.
const spillAfter = time.Millisecond

// feedBatch is how many items of the backlog the feeder moves into the ring
// at a time.
const feedBatch = 256

// flushPatience is how long a process's exit flush waits with nothing got
// from the queue, once every other process that got from it has died,
// before it gives its items up.
const flushPatience = time.Second

var errQueueClosed = &misuse{"mp: queue is closed", ErrClosed}

// past is a deadline that has passed: shm then tries without waiting.
var past = time.Unix(0, 1)

// Queue is a FIFO queue shared between processes, like Python's
// multiprocessing.Queue. Items travel encoded: a Get returns an equal copy
// of what was Put, of the same type T. Items from one process come out in
// the order that process put them.
//
// A Queue with maxsize <= 0 is unbounded: Put never blocks, even with no
// reader yet. Items that do not fit in the shared buffer (1 MiB) wait in the
// putting process, and a background goroutine feeds them in as readers make
// room, as Python's feeder thread does. A producer faster than readers who
// keep taking items is held to their pace instead: a Put that finds the
// buffer full waits for them to make room, up to a millisecond at a time;
// readers that make none within it cost one Put that wait, and not the
// next ones.
//
// Handles (Lock, Queue, Conn, files, sockets) cannot be put on a Queue:
// pass them to processes as arguments of NewProcess.
//
// # Pitfall: a producer that exits with items nobody gets
//
// A process flushes its buffered items before it exits (after its target
// returns, or in Finish), which waits for readers to make room. So, as in
// Python, joining a producer before getting its items can deadlock when it
// put more than the shared buffer holds: get the items first, then join.
// The flush gives up only when every other process that ever got from the
// queue has died and nothing has been got for a second: it then prints one
// line saying how many items are lost.
//
// # A process that dies in the middle
//
// A process killed inside Put or Get, even while it waits there holding
// the queue's internal lock, does not break the queue: the next Put or Get
// on that side takes the lock over (within a fraction of a second) and
// prints one line naming the dead process. Every item that was wholly in
// the queue is got exactly once. What is lost is what the dead process had
// in hand: the item it was putting (only an item larger than the shared
// buffer can be half in), the item it was getting, and the items still
// buffered in it; Qsize stops counting them. docs/how-mp-works.md has the
// details.
//
// Its zero value is not usable: make one with NewQueue. Do not copy a
// Queue; pass the pointer. Its methods are safe from several goroutines.
type Queue[T any] struct {
	shared
	maxsize int
	ring    *shm.Ring
	members []byte // the member slots
	pending *int64
	flags   *uint32
	done    *uint32
	joiners *uint32
	owner   *int64
	joinSeq *shm.Seq
	kind    string // "Queue" or "JoinableQueue", for errors
	fast    fastKind

	closed   atomic.Bool
	noFlush  atomic.Bool  // abandoned (a terminated Pool's): exit does not wait for its backlog
	slot     atomic.Int32 // this process's member slot + 1; 0 before the first claim, -1 if none
	consumer atomic.Bool  // this process is marked as one that gets

	backlogged atomic.Bool  // the backlog is not empty: a Put must queue behind it
	stalled    atomic.Bool  // readers made no room for spillAfter, and have not since
	gaveUp     atomic.Int32 // how many times a Put stopped waiting for readers (for tests)

	mu           sync.Mutex    // guards the fields below
	backlog      [][]byte      // encoded items waiting for room in the ring, oldest first
	backlogBytes int           // their size
	feeding      bool          // a feeder goroutine is running
	fed          chan struct{} // closed when the running feeder stops
	progress     chan struct{} // closed, and replaced, when the feeder moves items into the ring
	hooked       bool          // the exit flush is registered
	abandoned    bool          // the exit flush gave the backlog up

	getMu  sync.Mutex
	getBuf []byte
}

// NewQueue returns a queue holding at most maxsize items, or any number if
// maxsize <= 0.
func NewQueue[T any](maxsize int) *Queue[T] {
	q := &Queue[T]{}
	q.init(maxsize, "Queue", "queue")
	return q
}

func (q *Queue[T]) init(maxsize int, kind, idPrefix string) {
	q.shared = newShared(idPrefix, queueRing+shm.RingSize(queueRingCap))
	q.kind = kind
	q.maxsize = max(maxsize, 0)
	must(shm.InitRingBounded(q.region, queueRing, queueRingCap, q.maxsize))
	q.open()
}

func (q *Queue[T]) open() {
	q.fast = fastKindOf(reflect.TypeFor[T]())
	releaseWith(q, q.region)
	b := q.region.Bytes()
	q.members = b[queueMembers : queueMembers+memberSlots*memberSize]
	q.pending = (*int64)(unsafe.Pointer(&b[queuePending]))
	q.flags = (*uint32)(unsafe.Pointer(&b[queueFlags]))
	q.done = (*uint32)(unsafe.Pointer(&b[queueDone]))
	q.joiners = (*uint32)(unsafe.Pointer(&b[queueJoiners]))
	q.owner = (*int64)(unsafe.Pointer(&b[queueOwnerState]))
	q.joinSeq = must(shm.OpenSeq(q.region, queueJoinSeq))
	q.ring = must(shm.OpenRing(q.region, queueRing))
	q.ring.OnRecover = q.recovered
	q.ring.OnPut = messageHook(mptrace.Put, "queue="+q.id)
	q.ring.OnGet = messageHook(mptrace.Get, "queue="+q.id)
	// An item a dead consumer took part of will never be marked done.
	q.ring.OnDropped = func() { q.taskDone(true) }
}

// recovered reports what this handle's ring found when it took a side
// over from a dead process.
func (q *Queue[T]) recovered(rc shm.Recovery) {
	who := describePid(rc.Pid, processName(rc.Pid))
	switch {
	case rc.Put && rc.Lost:
		diagnose("%s died in the middle of putting an item on %s %s; the part of it already in the queue is dropped, so that item is not delivered (%s took over)", who, q.kind, q.id, me())
	case rc.Put:
		diagnose("%s died while putting on %s %s; %s took over, and no item was lost", who, q.kind, q.id, me())
	case rc.Lost:
		diagnose("%s died in the middle of getting an item from %s %s; the rest of it is dropped, so that item is lost (%s took over)", who, q.kind, q.id, me())
	default:
		diagnose("%s died while getting from %s %s; %s took over, and no item was lost", who, q.kind, q.id, me())
	}
}

var bufPool = sync.Pool{New: func() any { return new([]byte) }}

// Put adds v to the queue, waiting while a bounded queue is full. It
// returns an error if v cannot be encoded (a channel, a function, a Lock...),
// or ErrClosed after Close.
func (q *Queue[T]) Put(v T) error { return q.put(v, time.Time{}, noTimeout) }

// PutTimeout is Put waiting at most d for room; then it returns ErrFull.
func (q *Queue[T]) PutTimeout(v T, d time.Duration) error {
	return q.put(v, deadlineAfter(d), max(d, 0))
}

// PutNowait is Put without waiting: ErrFull if a bounded queue is full.
func (q *Queue[T]) PutNowait(v T) error { return q.put(v, past, 0) }

// put puts v, waiting until the deadline at most for room in a bounded
// queue; d is the call's timeout, for its trace (see waitTraced). The put
// event is written by the ring's hook, when the item goes into the ring:
// for an unbounded queue's item that waits in the backlog, by the feeder.
func (q *Queue[T]) put(v T, deadline time.Time, d time.Duration) error {
	defer runtime.KeepAlive(q)
	if q.closed.Load() {
		return errQueueClosed
	}
	if q.fast != fastNone {
		var buf [maxFastHeader]byte
		head, body := fastEncode(q.fast, unsafe.Pointer(&v), buf[:0])
		return q.putEncoded(head, body, deadline, d)
	}
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	msg, err := q.encode(v, (*bp)[:0])
	if err != nil {
		return err
	}
	*bp = msg
	return q.putEncoded(msg, nil, deadline, d)
}

// putEncoded puts the encoded item head followed by body; d is the call's
// timeout, for its trace.
func (q *Queue[T]) putEncoded(head, body []byte, deadline time.Time, d time.Duration) error {
	pause("put")
	if q.maxsize > 0 {
		var err error
		if traceFile != nil {
			err = q.putTraced(head, body, deadline, d)
		} else {
			err = q.ring.PutPair(head, body, deadline)
		}
		if err != nil {
			return ErrFull
		}
	} else if q.backlogged.Load() || q.ring.PutPair(head, body, past) != nil {
		q.putBehind(head, body)
	}
	return nil
}

// putTraced is the ring's Put with the trace on (see waitTraced).
func (q *Queue[T]) putTraced(head, body []byte, deadline time.Time, d time.Duration) error {
	if waitTraced("Put", mptrace.Put, "queue="+q.id, d, deadline, func(dl time.Time) bool { return q.ring.PutPair(head, body, dl) == nil }) {
		return nil
	}
	return ErrFull
}

// putBehind puts an item of an unbounded queue whose ring is full, or
// behind the items waiting in this process's backlog.
func (q *Queue[T]) putBehind(head, body []byte) {
	if !q.backlogged.Load() && !q.stalled.Load() {
		if q.ring.PutPair(head, body, time.Now().Add(spillAfter)) == nil {
			return
		}
		q.stalled.Store(true)
		q.gaveUp.Add(1)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	// A producer faster than readers who keep taking items waits while a
	// ring's worth waits in its backlog, rather than grow it without end.
	for q.backlogBytes >= queueRingCap && !q.stalled.Load() && !q.abandoned {
		progress := q.progress
		q.mu.Unlock()
		t := time.NewTimer(spillAfter)
		select {
		case <-progress:
		case <-t.C:
			q.stalled.Store(true)
			q.gaveUp.Add(1)
		}
		t.Stop()
		q.mu.Lock()
	}
	// The feeder may have emptied the backlog meanwhile.
	if len(q.backlog) == 0 && q.ring.PutPair(head, body, past) == nil {
		return
	}
	q.backlog = append(q.backlog, append(append([]byte(nil), head...), body...))
	q.backlogBytes += len(head) + len(body)
	q.backlogged.Store(true)
	q.addPending(1)
	q.startFeeder()
}

// tooLarge reports whether an encoded item is too large for a queue's
// ring: it goes through in chunks.
func tooLarge(msg []byte) bool { return len(msg)+8 > queueRingCap }

// putDirect puts v straight into the ring, waiting for room, never into
// the backlog: once it returns, v is in the queue even if this process
// dies at once. A Pool's worker puts its results so.
func (q *Queue[T]) putDirect(v T) error {
	defer runtime.KeepAlive(q)
	msg, err := q.encode(v, nil)
	if err != nil {
		return err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.backlog) > 0 {
		return fmt.Errorf("mp: internal error: putDirect behind a backlog")
	}
	return q.ring.Put(msg, time.Time{})
}

// startFeeder starts the goroutine that moves the backlog into the ring;
// q.mu is held.
func (q *Queue[T]) startFeeder() {
	if !q.hooked {
		q.hooked = true
		// The exit hook must not keep a dropped queue alive: once the
		// feeder has stopped, a queue nobody refers to has nothing to flush.
		wq := weak.Make(q)
		atExit(func() {
			if q := wq.Value(); q != nil {
				q.flush()
			}
		})
	}
	if q.progress == nil {
		q.progress = make(chan struct{})
	}
	if q.feeding {
		return
	}
	q.feeding = true
	q.fed = make(chan struct{})
	go q.feed(q.fed)
}

// feed moves the backlog into the ring, then closes done.
func (q *Queue[T]) feed(done chan struct{}) {
	q.mu.Lock()
	for len(q.backlog) > 0 && !q.abandoned {
		// A batch at a time, so that a Put waiting for the backlog to
		// shrink sees progress.
		batch := q.backlog[:min(len(q.backlog), feedBatch)]
		q.mu.Unlock()
		// Items stay in the backlog until they are in the ring, so that a
		// Put meanwhile queues behind them and order holds. The deadline
		// only ends a wait for room, to report what went in so far; an
		// item larger than the ring goes alone and without one, since a
		// deadline that passes withdraws it.
		deadline := time.Now().Add(spillAfter)
		if tooLarge(batch[0]) {
			batch, deadline = batch[:1], time.Time{}
		} else if i := slices.IndexFunc(batch, tooLarge); i > 0 {
			batch = batch[:i]
		}
		n, _ := q.ring.PutBatch(batch, deadline)
		q.mu.Lock()
		if n == 0 {
			continue
		}
		if !q.abandoned { // giving up has already discounted them
			for _, m := range q.backlog[:n] {
				q.backlogBytes -= len(m)
			}
			clear(q.backlog[:n]) // the ring has them now
			q.backlog = q.backlog[n:]
			q.addPending(-n)
		}
		q.stalled.Store(false)
		close(q.progress)
		q.progress = make(chan struct{})
	}
	q.backlog = nil
	q.backlogBytes = 0
	q.backlogged.Store(false)
	q.feeding = false
	close(done)
	q.mu.Unlock()
}

// flush waits until this process's buffered items are in the ring. It
// gives them up, with one diagnostic, when every other process that got
// from the queue has died and nothing has been got for flushPatience.
func (q *Queue[T]) flush() {
	defer runtime.KeepAlive(q)
	gets, since := q.ring.Gets(), time.Now()
	for !q.noFlush.Load() {
		q.mu.Lock()
		feeding, fed := q.feeding, q.fed
		q.mu.Unlock()
		if !feeding {
			return
		}
		select {
		case <-fed:
			continue
		case <-time.After(shm.Recheck):
		}
		if g := q.ring.Gets(); g != gets {
			gets, since = g, time.Now()
			continue
		}
		if time.Since(since) < flushPatience {
			continue
		}
		if dead, ok := q.consumersGone(); ok {
			q.giveUp(dead)
			return
		}
	}
}

// consumersGone reports whether some process other than this one got from
// the queue and died, and none that got from it lives; dead names one.
func (q *Queue[T]) consumersGone() (dead string, gone bool) {
	flags := atomic.LoadUint32(q.flags)
	if flags&flagMembersFull != 0 {
		return "", false // a consumer may have gone unrecorded
	}
	if flags&flagConsumerDied != 0 {
		dead = "a process that got from it"
	}
	for i := range memberSlots {
		pid, st := q.member(i)
		if pid == 0 || pid == selfPid || st&memberGot == 0 {
			continue
		}
		if q.region.UsedBy(pid) {
			return "", false
		}
		dead = describePid(pid, processName(pid))
	}
	return dead, dead != ""
}

// giveUp drops the backlog at exit, discounting its items.
func (q *Queue[T]) giveUp(dead string) {
	q.mu.Lock()
	n := len(q.backlog)
	q.abandoned = true
	q.addPending(-n)
	q.backlog = nil
	q.backlogBytes = 0
	q.backlogged.Store(false)
	q.mu.Unlock()
	diagnose("%s gives up flushing %d items put on %s %s: %s died, no other process gets from it, and nothing has been got for %v; the items are lost",
		me(), n, q.kind, q.id, dead, flushPatience)
}

// tryPut puts v only if the ring takes it at once, never buffering it: for
// messages that may be dropped, which must not hold up the process's exit.
func (q *Queue[T]) tryPut(v T) bool {
	defer runtime.KeepAlive(q)
	msg, err := q.encode(v, nil)
	if err != nil {
		return false
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.backlog) == 0 && q.ring.Put(msg, past) == nil
}

// encode appends the encoding of v to buf; handles are refused.
func (q *Queue[T]) encode(v T, buf []byte) ([]byte, error) {
	e := encoder{buf: buf, refusal: q.kind}
	err := e.encodeValue(reflect.ValueOf(&v).Elem())
	return e.buf, err
}

// member returns the pid and state word of member slot i.
func (q *Queue[T]) member(i int) (pid int, state uint32) {
	pid = int(atomic.LoadUint32(q.memberPid(i)))
	return pid, atomic.LoadUint32(q.memberState(i))
}

func (q *Queue[T]) memberPid(i int) *uint32 {
	return (*uint32)(unsafe.Pointer(&q.members[i*memberSize]))
}

func (q *Queue[T]) memberState(i int) *uint32 {
	return (*uint32)(unsafe.Pointer(&q.members[i*memberSize+4]))
}

// mySlot returns this process's member slot, claiming one on first use, or
// -1 if every slot is taken by a live process.
func (q *Queue[T]) mySlot() int {
	switch s := q.slot.Load(); {
	case s > 0:
		return int(s) - 1
	case s < 0:
		return -1
	}
	s := q.claimSlot()
	if s < 0 {
		q.slot.Store(-1)
	} else {
		q.slot.Store(int32(s + 1))
	}
	return s
}

func (q *Queue[T]) claimSlot() int {
	me := uint32(selfPid)
	for i := range memberSlots {
		if atomic.LoadUint32(q.memberPid(i)) == me {
			return i // another handle onto this queue in this process
		}
	}
	for i := range memberSlots {
		if atomic.CompareAndSwapUint32(q.memberPid(i), 0, me) {
			return i
		}
	}
	// Take over the slot of a dead process, once what it left is
	// accounted for.
	q.reconcile()
	for i := range memberSlots {
		pid, st := q.member(i)
		if pid == 0 || st&memberPending != 0 || q.region.UsedBy(pid) {
			continue
		}
		if atomic.CompareAndSwapUint32(q.memberPid(i), uint32(pid), me) {
			if atomic.SwapUint32(q.memberState(i), 0)&memberGot != 0 {
				atomicOr(q.flags, flagConsumerDied)
			}
			return i
		}
	}
	atomicOr(q.flags, flagMembersFull)
	return -1
}

// addPending counts n more (or fewer) items in this process's backlog.
func (q *Queue[T]) addPending(n int) {
	if s := q.mySlot(); s >= 0 {
		atomic.AddUint32(q.memberState(s), uint32(n))
	}
	atomic.AddInt64(q.pending, int64(n))
}

// markConsumer records once that this process gets from the queue.
func (q *Queue[T]) markConsumer() {
	if s := q.mySlot(); s >= 0 {
		atomicOr(q.memberState(s), memberGot)
	}
	q.consumer.Store(true)
}

// reconcile stops counting the items that died in the backlogs of dead
// producers, and says how many each lost.
func (q *Queue[T]) reconcile() {
	if atomic.LoadInt64(q.pending) == 0 {
		return
	}
	for i := range memberSlots {
		pid, st := q.member(i)
		if pid == 0 || pid == selfPid || st&memberPending == 0 || q.region.UsedBy(pid) {
			continue
		}
		if atomic.CompareAndSwapUint32(q.memberState(i), st, st&memberGot) {
			n := st & memberPending
			atomic.AddInt64(q.pending, -int64(n))
			diagnose("%s died with %d items it had put on %s %s still waiting in it; they are lost, and Qsize no longer counts them",
				describePid(pid, processName(pid)), n, q.kind, q.id)
			q.joinSeq.Bump() // Join may have been waiting for them
		}
	}
}

func atomicOr(w *uint32, bits uint32) {
	for {
		v := atomic.LoadUint32(w)
		if v&bits == bits || atomic.CompareAndSwapUint32(w, v, v|bits) {
			return
		}
	}
}

// setOwnerState and ownerState keep a word for a queue with one consumer
// to say what it does, where whoever puts can read it: a Pool worker, the
// task it runs.
func (q *Queue[T]) setOwnerState(v int64) {
	atomic.StoreInt64(q.owner, v)
	runtime.KeepAlive(q)
}

func (q *Queue[T]) ownerState() int64 {
	v := atomic.LoadInt64(q.owner)
	runtime.KeepAlive(q)
	return v
}

// Get removes and returns the oldest item, waiting until there is one.
func (q *Queue[T]) Get() (T, error) { return q.get(time.Time{}, noTimeout) }

// GetTimeout is Get waiting at most d; then it returns ErrEmpty.
func (q *Queue[T]) GetTimeout(d time.Duration) (T, error) {
	return q.get(deadlineAfter(d), max(d, 0))
}

// GetNowait is Get without waiting: ErrEmpty if no item is there.
func (q *Queue[T]) GetNowait() (T, error) { return q.get(past, 0) }

// get takes an item, waiting until the deadline at most; d is the call's
// timeout, for its trace (see waitTraced), or internalWait. The get event
// is written by the ring's hook.
func (q *Queue[T]) get(deadline time.Time, d time.Duration) (T, error) {
	defer runtime.KeepAlive(q)
	var v T
	if q.closed.Load() {
		return v, errQueueClosed
	}
	if !q.consumer.Load() {
		q.markConsumer()
	}
	pause("get")
	var err error
	if traceFile != nil && d != internalWait {
		v, err = q.getTraced(deadline, d)
	} else {
		v, err = q.getItem(deadline)
	}
	if err == shm.ErrTimeout {
		q.reconcile() // so that Qsize agrees that nothing came
		return v, ErrEmpty
	}
	if err != nil {
		return v, err
	}
	return v, nil
}

// getTraced is getItem with the trace on (see waitTraced).
func (q *Queue[T]) getTraced(deadline time.Time, d time.Duration) (v T, err error) {
	waitTraced("Get", mptrace.Get, "queue="+q.id, d, deadline, func(dl time.Time) bool {
		v, err = q.getItem(dl)
		return err != shm.ErrTimeout
	})
	return v, err
}

// getItem takes the next item, waiting until the deadline at most. Each
// way has its own variable for the item, so that the reflection of the
// general one does not put the fast one's on the heap.
func (q *Queue[T]) getItem(deadline time.Time) (T, error) {
	if q.fast == fastNone {
		return q.getDecoded(deadline)
	}
	return q.getFast(deadline)
}

// getFast takes the next item of a type with a fast path, decoded where it
// lies in the ring: a copy of the payload, no more.
func (q *Queue[T]) getFast(deadline time.Time) (T, error) {
	var v T
	var derr error
	if err := q.ring.GetFunc(deadline, func(msg []byte) { derr = fastDecode(q.fast, msg, unsafe.Pointer(&v)) }); err != nil {
		return v, err
	}
	return v, derr
}

// getDecoded takes the next item's bytes out of the ring, and decodes them
// once the ring is free for other consumers.
func (q *Queue[T]) getDecoded(deadline time.Time) (T, error) {
	var v T
	q.getMu.Lock()
	defer q.getMu.Unlock()
	buf, err := q.ring.Get(q.getBuf[:0], deadline)
	q.getBuf = buf
	if err != nil {
		return v, err
	}
	d := decoder{buf: buf}
	err = d.decodeValue(reflect.ValueOf(&v).Elem())
	return v, err
}

// Qsize returns the number of items put and not yet got, including items
// still buffered in their producer. Other processes may change it at any
// moment.
func (q *Queue[T]) Qsize() int {
	// Pending first: an item moves from a backlog into the ring, never back,
	// so it may be counted twice here, never missed.
	p := atomic.LoadInt64(q.pending)
	if p > 0 {
		q.reconcile()
		p = atomic.LoadInt64(q.pending)
	}
	n := q.ring.Len() + int(p)
	runtime.KeepAlive(q)
	return n
}

// Empty reports whether Qsize is 0.
func (q *Queue[T]) Empty() bool { return q.Qsize() == 0 }

// Full reports whether a bounded queue holds maxsize items.
func (q *Queue[T]) Full() bool { return q.maxsize > 0 && q.Qsize() >= q.maxsize }

// Close says this process will neither put nor get any more: Put and Get
// then return ErrClosed. Items already put are still delivered. Other
// processes are not affected.
func (q *Queue[T]) Close() error {
	q.closed.Store(true)
	return nil
}

func (q *Queue[T]) mpKind() string { return q.kind }

func (q *Queue[T]) encodeHandle(e *encoder) error {
	if err := q.encodeShared(e, q.kind); err != nil {
		return err
	}
	e.appendString(q.kind)
	e.buf = appendUvarint(e.buf, uint64(q.maxsize))
	return nil
}

func (q *Queue[T]) decodeHandle(d *decoder) error {
	if err := q.decodeShared(d); err != nil {
		return err
	}
	kind, err := d.string()
	if err != nil {
		return err
	}
	n, err := d.uvarint()
	if err != nil {
		return err
	}
	q.kind, q.maxsize = kind, int(n)
	q.open()
	return nil
}

// JoinableQueue is a Queue whose consumers report each item done with
// TaskDone, so that Join can wait until every item put has been handled,
// like Python's multiprocessing.JoinableQueue.
//
// Its zero value is not usable: make one with NewJoinableQueue.
type JoinableQueue[T any] struct {
	Queue[T]
}

// NewJoinableQueue returns a joinable queue holding at most maxsize items,
// or any number if maxsize <= 0.
func NewJoinableQueue[T any](maxsize int) *JoinableQueue[T] {
	q := &JoinableQueue[T]{}
	q.init(maxsize, "JoinableQueue", "jqueue")
	return q
}

// TaskDone says that one item got from the queue has been handled. Calling
// it more times than items were put returns ErrTaskDoneTooMany.
func (q *JoinableQueue[T]) TaskDone() error {
	defer runtime.KeepAlive(q)
	if !q.taskDone(false) {
		return ErrTaskDoneTooMany
	}
	return nil
}

// taskDone counts one item done, unless none is unfinished, and wakes the
// joiners when none is left. force counts it regardless: an item a dead
// consumer took with it, which nobody will mark done.
//
// The usual TaskDone follows a Get in the same process, and then the items
// got (the consumers' word, which that Get has just written) prove an item
// unfinished; only when it is not so, or a joiner waits, are the puts (the
// producers' word, in another core's cache) read.
func (q *Queue[T]) taskDone(force bool) bool {
	for {
		d := atomic.LoadUint32(q.done)
		if !force && int32(q.ring.Gets()-d) <= 0 && q.unfinishedAt(d) <= 0 {
			return false
		}
		if atomic.CompareAndSwapUint32(q.done, d, d+1) {
			// Done is counted before the joiners are, and Join counts
			// itself before it looks: one of us sees the other.
			if atomic.LoadUint32(q.joiners) != 0 && q.unfinishedAt(d+1) <= 0 {
				q.joinSeq.Bump()
			}
			return true
		}
	}
}

// unfinishedAt returns the items put and not done, given d done.
func (q *Queue[T]) unfinishedAt(d uint32) int64 {
	p := atomic.LoadInt64(q.pending) // first: an item moving into the ring is counted twice, never missed
	return int64(int32(q.ring.Puts()-d)) + p
}

// Join waits until every item put has been marked done with TaskDone.
// An item counts before its Put returns, so Join never returns while an
// item put is still on its way, even one buffered in its producer.
//
// An item that a process got and then died before marking done is never
// done, and Join waits for it, as in Python. Items lost with a process
// that died in the middle of a Put or a Get, or in a producer's buffer,
// are not waited for.
func (q *JoinableQueue[T]) Join() {
	defer runtime.KeepAlive(q)
	atomic.AddUint32(q.joiners, 1)
	defer atomic.AddUint32(q.joiners, ^uint32(0))
	for blocked := false; ; blocked = true {
		s := q.joinSeq.Load()
		if q.unfinishedAt(atomic.LoadUint32(q.done)) <= 0 {
			if traceFile != nil {
				trace(mptrace.Wait, "queue="+q.id)
			}
			return
		}
		if traceFile != nil && !blocked {
			traceBlock("Join", "queue="+q.id, noTimeout)
		}
		if !q.joinSeq.WaitChange(s, time.Now().Add(shm.Recheck)) {
			q.reconcile() // items lost with a dead producer will never be done
		}
	}
}
