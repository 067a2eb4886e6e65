package shm

import (
	"sync/atomic"
	"time"
)

// SeqSize is the number of bytes a Seq occupies in a region.
const SeqSize = 64

// Seq layout, in bytes from its offset:
//
//	0   the word
//	4   how many processes are about to sleep or sleeping on the word,
//	    which lets Wake skip the system call when it is 0
//	8   pid of a process between changing the word and waking the sleepers
const (
	seqWaiters = 4
	seqWaker   = 8
	seqSpin    = 100
)

// A Seq is a 32-bit word that processes can wait on until it changes: the
// building block for Event (the word's parity says whether it is set) and
// Condition (notify bumps it). Get one with OpenSeq; zero bytes in the
// region are a Seq holding 0.
//
// Changing the word does not wake anyone by itself: Bump, AddWake and
// CompareAndSwapWake do both, and after Add or CompareAndSwap call Wake or
// WakeAll.
//
// A process that dies after changing the word and before waking the
// sleepers leaves them asleep until they look again by themselves, within
// Recheck. OnLostWake lets a waiter name it, when it changed the word
// with Bump, AddWake or CompareAndSwapWake.
type Seq struct {
	// OnLostWake, if not nil, is called by WaitChange when it found the
	// word changed without being woken, and the process that changed it
	// (pid) died before waking the waiters. It is set on this handle
	// before its first use.
	OnLostWake func(pid int)

	word, waiters, waker *uint32
}

// OpenSeq returns a handle onto the Seq at byte off of r, which must be a
// multiple of 8 with SeqSize bytes from it inside r.
func OpenSeq(r *Region, off int) (*Seq, error) {
	b, err := r.span("seq", off, SeqSize)
	if err != nil {
		return nil, err
	}
	return &Seq{word: word32(b, 0), waiters: word32(b, seqWaiters), waker: word32(b, seqWaker)}, nil
}

// Load returns the word.
func (s *Seq) Load() uint32 { return atomic.LoadUint32(s.word) }

// Add adds delta to the word and returns the new value, without waking.
func (s *Seq) Add(delta uint32) uint32 { return atomic.AddUint32(s.word, delta) }

// CompareAndSwap sets the word to new if it holds old, without waking, and
// reports whether it did.
func (s *Seq) CompareAndSwap(old, new uint32) bool {
	return atomic.CompareAndSwapUint32(s.word, old, new)
}

// Bump adds 1 to the word, wakes every waiter, and returns the new value.
func (s *Seq) Bump() uint32 { return s.AddWake(1, allWaiters) }

// allWaiters is the count that wakes every waiter.
const allWaiters = 1<<31 - 1

// AddWake adds delta to the word, wakes up to n waiters, and returns the
// new value. Unlike Add followed by Wake, it marks this process as the
// waker first, so that waiters can name it if it dies in between.
func (s *Seq) AddWake(delta uint32, n int) uint32 {
	marked := markWaker(s.waiters, s.waker)
	v := atomic.AddUint32(s.word, delta)
	s.wake(n, marked)
	return v
}

// CompareAndSwapWake sets the word to new if it holds old, then wakes up
// to n waiters as AddWake does; it reports whether it swapped.
func (s *Seq) CompareAndSwapWake(old, new uint32, n int) bool {
	marked := markWaker(s.waiters, s.waker)
	if !atomic.CompareAndSwapUint32(s.word, old, new) {
		unmarkWaker(s.waker, marked)
		return false
	}
	s.wake(n, marked)
	return true
}

// Wake wakes up to n processes waiting in WaitChange. Waiters that find the
// word unchanged go back to sleep, so change it first. Wake makes no system
// call when nobody waits.
func (s *Seq) Wake(n int) { s.wake(n, false) }

// WakeAll wakes every process waiting in WaitChange, as Wake.
func (s *Seq) WakeAll() { s.Wake(allWaiters) }

func (s *Seq) wake(n int, marked bool) {
	if atomic.LoadUint32(s.waiters) != 0 {
		fault("seq.wake")
		futexWake(s.word, n)
	}
	unmarkWaker(s.waker, marked)
}

// markWaker puts this process's pid in waker, when someone sleeps on the
// word, before the word is changed: a process that dies between the change
// and the wakeup is then named by the waiters it left asleep. Only the slow
// path, with sleepers, pays for it. It reports whether it marked.
func markWaker(waiters, waker *uint32) bool {
	if atomic.LoadUint32(waiters) == 0 {
		return false
	}
	atomic.StoreUint32(waker, selfPid)
	return true
}

// unmarkWaker takes this process's mark off, if it made one and no other
// waker has replaced it.
func unmarkWaker(waker *uint32, marked bool) {
	if marked {
		atomic.CompareAndSwapUint32(waker, selfPid, 0)
	}
}

// lostWake is called by a waiter that found its word changed without
// being woken: when its sleep ran out, a signal ended it, or the word
// changed just as it went to sleep. If the marked waker died before waking,
// it reports it, once.
//
// A waker still marked is usually about to unmark itself, having woken
// the waiters: a short spin sees that. One that is stopped (SIGSTOP, a
// debugger, or on its way to stopping) may yet be killed or continued, and
// the waiter waits for one or the other, as a stopped lock holder keeps
// its lock; one that runs on is given DefaultPatience, then not reported.
func lostWake(waker *uint32, report func(pid int)) {
	pid := atomic.LoadUint32(waker)
	if pid == 0 || report == nil {
		return
	}
	if spin(lostWakeSpin, 0, func() bool { return atomic.LoadUint32(waker) != pid }) {
		return
	}
	giveUp := time.Now().Add(DefaultPatience)
	for atomic.LoadUint32(waker) == pid {
		dead, stopped := processState(int(pid))
		if dead {
			if atomic.CompareAndSwapUint32(waker, pid, 0) {
				report(int(pid))
			}
			return
		}
		if !stopped && time.Now().After(giveUp) {
			return
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// lostWakeSpin is how many times lostWake looks for the waker's unmark
// before it asks the system about the waker.
const lostWakeSpin = 256

// WaitChange waits until the word differs from old, or until the deadline
// (zero: none), and reports whether it differs. It returns at once if the
// word already differs. A change that is undone before the waiter looks
// (old to new and back to old) may go unnoticed; use a word that only
// counts up when every change must be seen.
func (s *Seq) WaitChange(old uint32, deadline time.Time) bool {
	changed := func() bool { return atomic.LoadUint32(s.word) != old }
	if changed() {
		return true
	}
	if expired(deadline) {
		return false
	}
	if spin(seqSpin, 0, changed) {
		return true
	}
	// Count ourselves before the futex compares the word; a changer writes
	// the word before it reads the count, so one of us sees the other.
	atomic.AddUint32(s.waiters, 1)
	defer atomic.AddUint32(s.waiters, ^uint32(0))
	for {
		ok, alone := sleep(s.word, old, deadline)
		if changed() {
			if alone {
				lostWake(s.waker, s.OnLostWake)
			}
			return true
		}
		if !ok {
			return false
		}
	}
}
