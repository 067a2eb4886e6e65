package mp

import (
	"errors"
	"reflect"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

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

// Queue layout in its region.
const (
	queueSlots      = 0               // Sem: free places of a bounded queue
	queueQsize      = shm.SemSize     // int64: items put and not yet got
	queueUnfinished = shm.SemSize + 8 // int64: items put and not yet TaskDone
	queueJoinSeq    = 2 * shm.SemSize // Seq: bumped when unfinished reaches 0
	queueRing       = queueJoinSeq + shm.SeqSize
	queueRingCap    = 1 << 20 // bytes of items in flight before producers buffer or wait
)

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
// room, as Python's feeder thread does.
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
//
// Its zero value is not usable: make one with NewQueue. Its methods are
// safe from several goroutines.
type Queue[T any] struct {
	shared
	maxsize    int
	slots      *shm.Sem // nil when unbounded
	qsize      *int64
	unfinished *int64
	joinSeq    *shm.Seq
	ring       *shm.Ring
	kind       string // "Queue" or "JoinableQueue", for errors

	closed  atomic.Bool
	noFlush atomic.Bool // abandoned (a terminated Pool's): exit does not wait for its backlog

	mu      sync.Mutex // guards the fields below
	backlog [][]byte   // encoded items waiting for room in the ring, oldest first
	feeding bool       // a feeder goroutine is running
	idle    sync.Cond  // signalled when the feeder stops
	hooked  bool       // the exit flush is registered

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
	if _, err := shm.InitSem(q.region, queueSlots, q.maxsize, 0); err != nil {
		panic("mp: " + err.Error())
	}
	must(shm.InitRing(q.region, queueRing, queueRingCap))
	q.open()
}

func (q *Queue[T]) open() {
	b := q.region.Bytes()
	if q.maxsize > 0 {
		q.slots = must(shm.OpenSem(q.region, queueSlots))
	}
	q.qsize = (*int64)(unsafe.Pointer(&b[queueQsize]))
	q.unfinished = (*int64)(unsafe.Pointer(&b[queueUnfinished]))
	q.joinSeq = must(shm.OpenSeq(q.region, queueJoinSeq))
	q.ring = must(shm.OpenRing(q.region, queueRing))
	q.idle.L = &q.mu
}

var bufPool = sync.Pool{New: func() any { return new([]byte) }}

// Put adds v to the queue, waiting while a bounded queue is full. It
// returns an error if v cannot be encoded (a channel, a function, a Lock...),
// or ErrClosed after Close.
func (q *Queue[T]) Put(v T) error { return q.put(v, time.Time{}) }

// PutTimeout is Put waiting at most d for room; then it returns ErrFull.
func (q *Queue[T]) PutTimeout(v T, d time.Duration) error { return q.put(v, deadlineAfter(d)) }

// PutNowait is Put without waiting: ErrFull if a bounded queue is full.
func (q *Queue[T]) PutNowait(v T) error { return q.put(v, past) }

func (q *Queue[T]) put(v T, deadline time.Time) error {
	if q.closed.Load() {
		return errQueueClosed
	}
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	msg, err := q.encode(v, (*bp)[:0])
	if err != nil {
		return err
	}
	*bp = msg
	perturb()
	if q.slots != nil && !q.slots.AcquireDeadline(deadline) {
		return ErrFull
	}
	q.count()
	if q.slots != nil {
		// A place is reserved; only an item larger than the ring waits here.
		_ = q.ring.Put(msg, time.Time{})
	} else {
		q.mu.Lock()
		if len(q.backlog) > 0 || q.ring.Put(msg, past) != nil {
			q.backlog = append(q.backlog, append([]byte(nil), msg...))
			q.startFeeder()
		}
		q.mu.Unlock()
	}
	if traceFile != nil {
		trace("put", "queue="+q.id)
	}
	return nil
}

// startFeeder starts the goroutine that moves the backlog into the ring;
// q.mu is held.
func (q *Queue[T]) startFeeder() {
	if !q.hooked {
		q.hooked = true
		atExit(q.flush)
	}
	if q.feeding {
		return
	}
	q.feeding = true
	go func() {
		q.mu.Lock()
		for len(q.backlog) > 0 {
			batch := q.backlog
			q.mu.Unlock()
			// Items stay in the backlog until they are in the ring, so
			// that a Put meanwhile queues behind them and order holds.
			_, _ = q.ring.PutBatch(batch, time.Time{})
			q.mu.Lock()
			q.backlog = q.backlog[len(batch):]
		}
		q.backlog = nil
		q.feeding = false
		q.idle.Broadcast()
		q.mu.Unlock()
	}()
}

// flush waits until this process's buffered items are in the ring.
func (q *Queue[T]) flush() {
	if q.noFlush.Load() {
		return
	}
	q.mu.Lock()
	for q.feeding {
		q.idle.Wait()
	}
	q.mu.Unlock()
}

// tryPut puts v only if the ring takes it at once, never buffering it: for
// messages that may be dropped, which must not hold up the process's exit.
func (q *Queue[T]) tryPut(v T) bool {
	msg, err := q.encode(v, nil)
	if err != nil {
		return false
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.backlog) > 0 || q.ring.Put(msg, past) != nil {
		return false
	}
	q.count()
	return true
}

// encode appends the encoding of v to buf; handles are refused.
func (q *Queue[T]) encode(v T, buf []byte) ([]byte, error) {
	e := encoder{buf: buf, refusal: q.kind}
	err := e.encodeValue(reflect.ValueOf(&v).Elem())
	return e.buf, err
}

// count records an item put. It is called before the item is visible in
// the ring, so that Join and Qsize never miss it.
func (q *Queue[T]) count() {
	atomic.AddInt64(q.qsize, 1)
	atomic.AddInt64(q.unfinished, 1)
}

// Get removes and returns the oldest item, waiting until there is one.
func (q *Queue[T]) Get() (T, error) { return q.get(time.Time{}) }

// GetTimeout is Get waiting at most d; then it returns ErrEmpty.
func (q *Queue[T]) GetTimeout(d time.Duration) (T, error) { return q.get(deadlineAfter(d)) }

// GetNowait is Get without waiting: ErrEmpty if no item is there.
func (q *Queue[T]) GetNowait() (T, error) { return q.get(past) }

func (q *Queue[T]) get(deadline time.Time) (T, error) {
	var v T
	if q.closed.Load() {
		return v, errQueueClosed
	}
	perturb()
	q.getMu.Lock()
	defer q.getMu.Unlock()
	buf, err := q.ring.Get(q.getBuf[:0], deadline)
	q.getBuf = buf
	if err != nil {
		return v, ErrEmpty
	}
	atomic.AddInt64(q.qsize, -1)
	if q.slots != nil {
		_ = q.slots.Release()
	}
	d := decoder{buf: buf}
	if err := d.decodeValue(reflect.ValueOf(&v).Elem()); err != nil {
		return v, err
	}
	if traceFile != nil {
		trace("get", "queue="+q.id)
	}
	return v, nil
}

// Qsize returns the number of items put and not yet got, including items
// still buffered in their producer. Other processes may change it at any
// moment.
func (q *Queue[T]) Qsize() int { return int(atomic.LoadInt64(q.qsize)) }

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
	for {
		n := atomic.LoadInt64(q.unfinished)
		if n <= 0 {
			return ErrTaskDoneTooMany
		}
		if atomic.CompareAndSwapInt64(q.unfinished, n, n-1) {
			if n == 1 {
				q.joinSeq.Bump()
			}
			return nil
		}
	}
}

// Join waits until every item put has been marked done with TaskDone.
// An item counts from the moment Put is called, so Join never returns
// while a Put is still on its way.
func (q *JoinableQueue[T]) Join() {
	for {
		s := q.joinSeq.Load()
		if atomic.LoadInt64(q.unfinished) == 0 {
			return
		}
		q.joinSeq.WaitChange(s, time.Time{})
	}
}
