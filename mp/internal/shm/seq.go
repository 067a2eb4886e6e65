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
// Changing the word does not wake anyone by itself: Bump does both, and
// after Add or CompareAndSwap call Wake or WakeAll.
//
// A process that dies after changing the word and before waking the
// sleepers leaves them asleep until they look again by themselves, within
// Recheck. OnLostWake lets a waiter say so.
type Seq struct {
	// OnLostWake, if not nil, is called by WaitChange when it found the
	// word changed only when it looked again by itself, and the process
	// that changed it (pid) died before waking it. It is set on this handle
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
func (s *Seq) Bump() uint32 {
	v := atomic.AddUint32(s.word, 1)
	s.WakeAll()
	return v
}

// Wake wakes up to n processes waiting in WaitChange. Waiters that find the
// word unchanged go back to sleep, so change it first. Wake makes no system
// call when nobody waits.
func (s *Seq) Wake(n int) {
	if atomic.LoadUint32(s.waiters) != 0 {
		wakeMarked(s.waker, s.word, n, "seq.wake")
	}
}

// wakeMarked wakes up to n sleepers on word with this process's pid in
// waker meanwhile, so that a sleeper that is never woken can tell who died
// before waking it. Only the slow path, with sleepers, pays for it.
func wakeMarked(waker, word *uint32, n int, point string) {
	atomic.StoreUint32(waker, selfPid)
	fault(point)
	futexWake(word, n)
	atomic.CompareAndSwapUint32(waker, selfPid, 0)
}

// lostWake is called by a waiter that found its word changed only when it
// looked again by itself: if the marked waker died, it reports it once.
func lostWake(waker *uint32, report func(pid int)) {
	pid := atomic.LoadUint32(waker)
	if pid == 0 || report == nil || !processDead(int(pid)) {
		return
	}
	if atomic.CompareAndSwapUint32(waker, pid, 0) {
		report(int(pid))
	}
}

// WakeAll wakes every process waiting in WaitChange, as Wake.
func (s *Seq) WakeAll() { s.Wake(1<<31 - 1) }

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
	if spin(seqSpin, changed) {
		return true
	}
	// Count ourselves before the futex compares the word; a changer writes
	// the word before it reads the count, so one of us sees the other.
	atomic.AddUint32(s.waiters, 1)
	defer atomic.AddUint32(s.waiters, ^uint32(0))
	for {
		ok, timedOut := sleep(s.word, old, deadline)
		if changed() {
			if timedOut {
				lostWake(s.waker, s.OnLostWake)
			}
			return true
		}
		if !ok {
			return false
		}
	}
}
