package shm

import (
	"fmt"
	"math"
	"sync/atomic"
	"time"
)

// SemSize is the number of bytes a Sem occupies in a region.
const SemSize = 64

// Sem layout, in bytes from its offset:
//
//	0   value
//	4   how many processes are about to sleep or sleeping on value
//	8   bound, or 0 for none
//	12  semMagic once InitSem has run
//	16  pid of a process between releasing and waking a sleeper
const (
	semWaiters = 4
	semBound   = 8
	semMagic   = 12
	semWaker   = 16

	semMagicValue = 0x53454d31 // "SEM1"
	semSpin       = 100
)

// A Sem is a counting semaphore shared by every process that maps its
// region, as Python's multiprocessing.Semaphore, or BoundedSemaphore when
// it has a bound. Create one with InitSem, then get handles onto it in other
// processes with OpenSem.
//
// A process that dies between releasing and waking a sleeper leaves it
// asleep until it looks again by itself, within Recheck; OnLostWake lets it
// say so. A unit that a dead process acquired and never released stays
// taken, as with Python's semaphores: a Sem does not know who holds its
// units.
type Sem struct {
	// OnLostWake, if not nil, is called by an acquire that found a unit
	// without being woken, when the process that released it (pid) died
	// before waking the waiters. It is set on this handle before its first
	// use.
	OnLostWake func(pid int)

	value, waiters, waker *uint32
	bound                 uint32
}

// InitSem writes a semaphore with the given value and bound at byte off of
// r and returns a handle onto it. A bound of 0 means none (the value is then
// limited only by math.MaxInt32); otherwise value must not exceed it. Call
// InitSem once, before any process opens the semaphore.
func InitSem(r *Region, off, value, bound int) (*Sem, error) {
	b, err := r.span("semaphore", off, SemSize)
	if err != nil {
		return nil, err
	}
	if value < 0 || bound < 0 || value > math.MaxInt32 || bound > math.MaxInt32 || bound > 0 && value > bound {
		return nil, fmt.Errorf("shm: semaphore value %d and bound %d: want 0 <= value <= bound (or bound 0 for none)", value, bound)
	}
	atomic.StoreUint32(word32(b, 0), uint32(value))
	atomic.StoreUint32(word32(b, semWaiters), 0)
	atomic.StoreUint32(word32(b, semBound), uint32(bound))
	atomic.StoreUint32(word32(b, semWaker), 0)
	atomic.StoreUint32(word32(b, semMagic), semMagicValue)
	return openSem(b), nil
}

// OpenSem returns a handle onto the semaphore that InitSem wrote at byte
// off of r.
func OpenSem(r *Region, off int) (*Sem, error) {
	b, err := r.span("semaphore", off, SemSize)
	if err != nil {
		return nil, err
	}
	if atomic.LoadUint32(word32(b, semMagic)) != semMagicValue {
		return nil, fmt.Errorf("%w: no semaphore at offset %d (InitSem not called?)", ErrLayout, off)
	}
	return openSem(b), nil
}

func openSem(b []byte) *Sem {
	return &Sem{value: word32(b, 0), waiters: word32(b, semWaiters), waker: word32(b, semWaker), bound: atomic.LoadUint32(word32(b, semBound))}
}

// Acquire decrements the value, first waiting for as long as it takes for it
// to be positive.
func (s *Sem) Acquire() { s.AcquireDeadline(time.Time{}) }

// TryAcquire decrements the value if it is positive, without waiting, and
// reports whether it did.
func (s *Sem) TryAcquire() bool {
	for {
		v := atomic.LoadUint32(s.value)
		if v == 0 {
			return false
		}
		if atomic.CompareAndSwapUint32(s.value, v, v-1) {
			return true
		}
	}
}

// AcquireDeadline decrements the value, waiting until the deadline at most
// for it to be positive, and reports whether it did. A zero deadline means
// no deadline; a deadline that has passed makes it TryAcquire.
func (s *Sem) AcquireDeadline(deadline time.Time) bool {
	if s.TryAcquire() {
		return true
	}
	if expired(deadline) {
		return false
	}
	if spin(semSpin, 0, s.TryAcquire) {
		return true
	}
	for {
		if s.TryAcquire() {
			return true
		}
		if expired(deadline) {
			return false
		}
		// Count ourselves before sleeping; Release increments the value
		// before it reads the count, so one of us sees the other's write.
		atomic.AddUint32(s.waiters, 1)
		_, alone := sleep(s.value, 0, deadline)
		atomic.AddUint32(s.waiters, ^uint32(0))
		if alone && s.TryAcquire() {
			lostWake(s.waker, s.OnLostWake)
			return true
		}
	}
}

// Release increments the value and wakes one waiter if there is any. It
// returns ErrReleasedTooManyTimes, leaving the value as it was, if that
// would take the value above the bound (or above math.MaxInt32).
func (s *Sem) Release() error {
	limit := s.bound
	if limit == 0 {
		limit = math.MaxInt32
	}
	marked := markWaker(s.waiters, s.waker)
	for {
		v := atomic.LoadUint32(s.value)
		if v >= limit {
			unmarkWaker(s.waker, marked)
			return ErrReleasedTooManyTimes
		}
		if atomic.CompareAndSwapUint32(s.value, v, v+1) {
			break
		}
	}
	if atomic.LoadUint32(s.waiters) != 0 {
		fault("sem.release.wake")
		futexWake(s.value, 1)
	}
	unmarkWaker(s.waker, marked)
	return nil
}

// Value returns the current value. Other processes may change it at any
// moment, so it is a snapshot (Python's get_value).
func (s *Sem) Value() int { return int(atomic.LoadUint32(s.value)) }

// Bound returns the semaphore's bound, or 0 if it has none.
func (s *Sem) Bound() int { return int(s.bound) }
