package shm

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func init() {
	// semAcquire: acquire the semaphore at offObj args[0] times, adding 1 to
	// the counter at offData after each.
	childRoles["semAcquire"] = func(r *Region, args []int) error {
		s := must(OpenSem(r, offObj))
		for range args[0] {
			s.Acquire()
			atomic.AddUint64(counter(r, offData), 1)
		}
		return nil
	}
	// seqWait: wait for the Seq at offObj to leave args[0], then copy its
	// value to the counter at offData.
	childRoles["seqWait"] = func(r *Region, args []int) error {
		s := must(OpenSeq(r, offObj))
		if !s.WaitChange(uint32(args[0]), time.Time{}) {
			return errors.New("WaitChange without deadline returned false")
		}
		*counter(r, offData) = uint64(s.Load())
		return nil
	}
}

func TestSemCountsAndBound(t *testing.T) {
	r := newRegion(t, 4096)
	s := must(InitSem(r, offObj, 2, 3))
	if got := s.Value(); got != 2 {
		t.Errorf("Value() after InitSem(2, 3) = %d; want 2", got)
	}
	for i := range 2 {
		if !s.TryAcquire() {
			t.Errorf("TryAcquire #%d with value %d = false; want true", i+1, 2-i)
		}
	}
	past := time.Now().Add(-time.Second)
	if s.TryAcquire() || s.AcquireDeadline(past) || s.AcquireDeadline(time.Now()) {
		t.Errorf("TryAcquire or AcquireDeadline(now or past) at value 0 succeeded; want false")
	}
	start := time.Now()
	if s.AcquireDeadline(start.Add(20 * time.Millisecond)) {
		t.Errorf("AcquireDeadline(in 20ms) at value 0 = true; want false")
	}
	if waited := time.Since(start); waited < 20*time.Millisecond {
		t.Errorf("AcquireDeadline(in 20ms) gave up after %v; want at least 20ms", waited)
	}
	for i := range 3 {
		if err := s.Release(); err != nil {
			t.Errorf("Release #%d below the bound = %v; want nil", i+1, err)
		}
	}
	if err := s.Release(); !errors.Is(err, ErrReleasedTooManyTimes) {
		t.Errorf("Release at the bound = %v; want ErrReleasedTooManyTimes", err)
	}
	if got := s.Value(); got != 3 {
		t.Errorf("Value() after a refused Release = %d; want 3", got)
	}
	// Another handle, as another process opens it, sees the same state.
	s2 := must(OpenSem(r, offObj))
	if s2.Value() != 3 || s2.Bound() != 3 {
		t.Errorf("OpenSem: Value, Bound = %d, %d; want 3, 3", s2.Value(), s2.Bound())
	}
	if !s2.AcquireDeadline(past) {
		t.Errorf("AcquireDeadline(past) at value 3 = false; want true")
	}

	u := must(InitSem(r, offObj2, 0, 0))
	for range 1000 {
		if err := u.Release(); err != nil {
			t.Fatalf("Release of an unbounded semaphore = %v", err)
		}
	}
	if got := u.Value(); got != 1000 {
		t.Errorf("unbounded semaphore: Value() after 1000 Release = %d; want 1000", got)
	}
}

func TestSemAcrossProcesses(t *testing.T) {
	const procs, each = 3, 20_000
	r := newRegion(t, 4096)
	s := must(InitSem(r, offObj, 0, 0))
	var children []*child
	for range procs {
		children = append(children, startChild(t, r, "semAcquire", each))
	}
	// Let them sleep before the first release, so that wakeups are used.
	waitUntil(func() bool { return sleepers(r.Bytes(), offObj) > 0 })
	for range procs * each {
		if err := s.Release(); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range children {
		c.wait(t)
	}
	if got, want := atomic.LoadUint64(counter(r, offData)), uint64(procs*each); got != want || s.Value() != 0 {
		t.Errorf("after %d releases to %d processes acquiring %d each: acquired %d, value %d; want %d, 0", procs*each, procs, each, got, s.Value(), want)
	}
}

func TestSeqAcrossProcesses(t *testing.T) {
	r := newRegion(t, 4096)
	s := must(OpenSeq(r, offObj))
	if s.WaitChange(0, time.Now()) {
		t.Errorf("WaitChange(0, now) on a Seq holding 0 = true; want false")
	}
	start := time.Now()
	if s.WaitChange(0, start.Add(20*time.Millisecond)) {
		t.Errorf("WaitChange(0, in 20ms) on a Seq holding 0 = true; want false")
	}
	if waited := time.Since(start); waited < 20*time.Millisecond {
		t.Errorf("WaitChange(0, in 20ms) gave up after %v; want at least 20ms", waited)
	}

	const procs = 3
	var children []*child
	for range procs {
		children = append(children, startChild(t, r, "seqWait", 0))
	}
	waitUntil(func() bool { return sleepers(r.Bytes(), offObj) == procs })
	// Waking without a change puts them back to sleep.
	s.WakeAll()
	s.Add(0)
	s.Wake(1)
	if got := s.Bump(); got != 1 {
		t.Errorf("Bump() from 0 = %d; want 1", got)
	}
	for _, c := range children {
		c.wait(t)
	}
	if got := *counter(r, offData); got != 1 {
		t.Errorf("value the waiters saw = %d; want 1", got)
	}
	if sleepers(r.Bytes(), offObj) != 0 {
		t.Errorf("sleepers after every waiter returned = %d; want 0", sleepers(r.Bytes(), offObj))
	}
	if !s.WaitChange(0, time.Now()) {
		t.Errorf("WaitChange(0, now) on a Seq holding 1 = false; want true")
	}
	if !s.CompareAndSwap(1, 7) || s.CompareAndSwap(1, 8) || s.Load() != 7 {
		t.Errorf("CompareAndSwap(1, 7) then (1, 8): word = %d; want 7 with only the first swapping", s.Load())
	}
}
