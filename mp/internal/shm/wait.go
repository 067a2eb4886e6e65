package shm

import (
	"runtime"
	"sync/atomic"
	"time"
)

// Recheck bounds every sleep in this package. A process that changes a word
// and dies before it wakes the sleepers (SIGKILL between the two steps)
// would otherwise leave them asleep for good; a sleeper that wakes up this
// often to look at the word again notices such a lost wakeup within
// Recheck, at the cost of a few system calls a second while it waits.
const Recheck = 100 * time.Millisecond

// DefaultPatience is the Patience of the locks inside a Ring: how long a
// side of the ring must have been held by the same process before a waiter
// checks whether that process is still alive.
const DefaultPatience = 100 * time.Millisecond

// sleep blocks while *addr == val, until woken, a spurious return, the
// deadline (zero: none) or Recheck, whichever comes first. It reports false,
// without sleeping, if the deadline has already passed. alone reports that
// nobody woke it: it slept for its whole allowance, or the word changed as
// it went to sleep; a caller that finds the word changed then may have
// missed a wakeup from a process that died.
func sleep(addr *uint32, val uint32, deadline time.Time) (ok, alone bool) {
	d, ok := sleepTime(deadline)
	if !ok {
		return false, false
	}
	return true, futexWait(addr, val, d)
}

// sleepTime returns how long sleep sleeps at most: until the deadline (zero:
// none) or for Recheck, whichever is first; ok is false if the deadline
// has passed.
func sleepTime(deadline time.Time) (d time.Duration, ok bool) {
	d = Recheck
	if !deadline.IsZero() {
		d = min(d, time.Until(deadline))
		if d <= 0 {
			return 0, false
		}
	}
	return d, true
}

// expired reports whether a non-zero deadline has passed.
func expired(deadline time.Time) bool {
	return !deadline.IsZero() && !time.Now().Before(deadline)
}

// spin calls ready until it returns true, for at most n calls, and reports
// whether it did. Spinning before sleeping pays because waking a process
// on another CPU costs far more than a short critical section or a
// message. Between two calls it pauses the processor gap times (cpuPause,
// a few tens of nanoseconds each) without touching memory: each call reads
// a word that another process keeps writing, and each read takes that
// word's cache line from the writer's core, which then waits to get it
// back; reading now and then lets the writer run at full speed. It also
// yields the processor now and then.
func spin(n, gap int, ready func() bool) bool {
	for i := 0; i < n; i++ {
		if ready() {
			return true
		}
		for range gap {
			cpuPause()
		}
		if i%spinYield == spinYield-1 {
			runtime.Gosched()
		}
	}
	return false
}

// spinYield is how many calls of ready spin makes between two yields.
const spinYield = 64

// epoch and monotonic give a cheap monotonic clock in nanoseconds, for
// timestamps kept in atomics.
var epoch = time.Now()

func monotonic() int64 { return int64(time.Since(epoch)) }

// faultHook, when set, is called at the points where a process dying would
// leave shared state half changed. It exists for tests, which stop a process
// there and kill it; see SetFaultHook.
var faultHook atomic.Pointer[func(point string)]

// SetFaultHook makes f be called at each fault point, or no longer if f is
// nil. The points are only on slow paths (a side that waits, a message in
// chunks, a wakeup), so an unset hook costs nothing where speed matters:
//
//	ring.put.partial   a producer has published part of a message larger than the ring
//	ring.get.wait      a consumer holds the consumers' lock and is about to sleep for data
//	ring.get.partial   a consumer has taken part of a message larger than the ring
//	sem.release.wake   a Sem was released and its sleepers are not yet woken
//	seq.wake           a Seq was changed and its sleepers are not yet woken
//
// Packages built on this one add their own points with Fault.
func SetFaultHook(f func(point string)) {
	if f == nil {
		faultHook.Store(nil)
		return
	}
	faultHook.Store(&f)
}

func fault(point string) {
	if f := faultHook.Load(); f != nil {
		(*f)(point)
	}
}

// Fault marks a fault point of a package built on this one, for the hook
// SetFaultHook sets: it costs one atomic load when no hook is set.
func Fault(point string) { fault(point) }
