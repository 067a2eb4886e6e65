package mp

import (
	"runtime"
	"strconv"
	"time"

	"github.com/forklore/forklore/internal/mptrace"
	"github.com/forklore/forklore/mp/internal/shm"
)

// Semaphore is a counter shared between processes, like Python's
// multiprocessing.Semaphore: Acquire takes one unit, waiting while there is
// none, and Release gives one back. A bounded semaphore (NewBoundedSemaphore)
// refuses a Release that would raise it above its initial value.
//
// A process that dies between releasing and waking a waiter makes the
// waiter wake up by itself within a tenth of a second, and print one line
// naming it. A unit that a dead process acquired and never released stays
// taken, as in Python: a Semaphore does not know who holds its units.
//
// Its zero value is not usable: make one with NewSemaphore or
// NewBoundedSemaphore. Do not copy a Semaphore; pass the pointer. Its
// methods are safe from several goroutines.
type Semaphore struct {
	shared
	s *shm.Sem
}

// NewSemaphore returns a semaphore holding n units (n >= 0).
func NewSemaphore(n int) *Semaphore { return newSemaphore(n, 0) }

// NewBoundedSemaphore returns a semaphore holding n units (n >= 1) that
// never holds more: Release beyond n returns ErrReleasedTooManyTimes.
func NewBoundedSemaphore(n int) *Semaphore { return newSemaphore(n, n) }

func newSemaphore(n, bound int) *Semaphore {
	if n < 0 {
		panic("mp: a semaphore's initial value must be >= 0, not " + strconv.Itoa(n))
	}
	s := &Semaphore{shared: newShared("sem", shm.SemSize)}
	if _, err := shm.InitSem(s.region, 0, n, bound); err != nil {
		panic("mp: " + err.Error())
	}
	s.open()
	return s
}

func (s *Semaphore) open() {
	releaseWith(s, s.region)
	s.s = must(shm.OpenSem(s.region, 0))
	id := s.id
	s.s.OnLostWake = func(pid int) {
		diagnose("%s released Semaphore %s and died before waking the processes waiting for it; %s woke up by itself", describePid(pid, processName(pid)), id, me())
	}
}

// Acquire takes one unit, waiting while there is none.
func (s *Semaphore) Acquire() {
	perturb()
	if !s.s.TryAcquire() {
		s.wait(time.Time{}, noTimeout)
	}
	s.traced("acquire")
	runtime.KeepAlive(s)
}

// TryAcquire takes one unit if there is one, without waiting, and reports
// whether it did.
func (s *Semaphore) TryAcquire() bool {
	perturb()
	ok := s.s.TryAcquire()
	runtime.KeepAlive(s)
	if ok {
		s.traced("acquire")
	}
	return ok
}

// AcquireTimeout waits at most d for a unit and reports whether it took
// one. d <= 0 does not wait.
func (s *Semaphore) AcquireTimeout(d time.Duration) bool {
	defer runtime.KeepAlive(s)
	perturb()
	if !s.s.TryAcquire() && !s.wait(deadlineAfter(d), max(d, 0)) {
		return false
	}
	s.traced("acquire")
	return true
}

// Release gives one unit back, waking a waiter if there is one. On a
// bounded semaphore at its bound it returns ErrReleasedTooManyTimes.
func (s *Semaphore) Release() error {
	perturb()
	err := s.s.Release()
	runtime.KeepAlive(s)
	if err != nil {
		return ErrReleasedTooManyTimes
	}
	s.traced("release")
	return nil
}

// wait takes a unit that TryAcquire did not find, until the deadline at
// most, tracing the wait (see waitSlow); d is the call's timeout. It is
// not inlined, so that the fast path keeps a small frame.
//
//go:noinline
func (s *Semaphore) wait(deadline time.Time, d time.Duration) bool {
	return waitSlow("Acquire", mptrace.Acquire, "sem="+s.id, d, deadline, s.s.AcquireDeadline)
}

func (s *Semaphore) traced(event string) {
	if traceFile != nil {
		trace(event, "sem="+s.id)
	}
}

// Value returns the number of units now (Python's get_value). Other
// processes may change it at any moment.
func (s *Semaphore) Value() int {
	v := s.s.Value()
	runtime.KeepAlive(s)
	return v
}

// Lock is Acquire, for sync.Locker.
func (s *Semaphore) Lock() { s.Acquire() }

// Unlock is Release, for sync.Locker; it panics on a bounded semaphore at
// its bound.
func (s *Semaphore) Unlock() {
	if err := s.Release(); err != nil {
		panic(err)
	}
}

// String describes the semaphore as Python's repr does: <Semaphore(value=2)>.
func (s *Semaphore) String() string {
	return "<Semaphore(value=" + strconv.Itoa(s.Value()) + ")>"
}

func (s *Semaphore) mpKind() string { return "Semaphore" }

func (s *Semaphore) encodeHandle(e *encoder) error { return s.encodeShared(e, "Semaphore") }

func (s *Semaphore) decodeHandle(d *decoder) error {
	if err := s.decodeShared(d); err != nil {
		return err
	}
	s.open()
	return nil
}
