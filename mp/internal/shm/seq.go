package shm

import (
	"sync/atomic"
	"time"
)

// SeqSize is the number of bytes a Seq occupies in a region.
const SeqSize = 64

// seqWaiters is the offset of the count of processes about to sleep or
// sleeping on the word, which lets Wake skip the system call when it is 0.
const (
	seqWaiters = 4
	seqSpin    = 100
)

// A Seq is a 32-bit word that processes can wait on until it changes: the
// building block for Event (the word's parity says whether it is set) and
// Condition (notify bumps it). Get one with OpenSeq; zero bytes in the
// region are a Seq holding 0.
//
// Changing the word does not wake anyone by itself: Bump does both, and
// after Add or CompareAndSwap call Wake or WakeAll.
type Seq struct {
	word, waiters *uint32
}

// OpenSeq returns a handle onto the Seq at byte off of r, which must be a
// multiple of 8 with SeqSize bytes from it inside r.
func OpenSeq(r *Region, off int) (*Seq, error) {
	b, err := r.span("seq", off, SeqSize)
	if err != nil {
		return nil, err
	}
	return &Seq{word: word32(b, 0), waiters: word32(b, seqWaiters)}, nil
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
		futexWake(s.word, n)
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
	for !changed() {
		if !sleep(s.word, old, deadline) {
			return false
		}
	}
	return true
}
