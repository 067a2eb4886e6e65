package mp

import (
	"runtime"
	"time"

	"github.com/forklore/forklore/mp/internal/shm"
)

// Event is a flag shared between processes, like Python's
// multiprocessing.Event: Wait blocks until some process calls Set.
//
// An Event has no lock for a dead process to keep. A process that dies in
// the middle of Set has set the Event or not; if it dies between setting it
// and waking the waiters, they wake up by themselves within a tenth of a
// second, and one of them prints one line naming it.
//
// Its zero value is not usable: make one with NewEvent. Do not copy an
// Event; pass the pointer. Its methods are safe from several goroutines.
type Event struct {
	shared
	seq *shm.Seq // odd while set; every change adds 1
}

// NewEvent returns an event that is not set.
func NewEvent() *Event {
	e := &Event{shared: newShared("event", shm.SeqSize)}
	e.open()
	return e
}

func (e *Event) open() {
	releaseWith(e, e.region)
	e.seq = must(shm.OpenSeq(e.region, 0))
	id := e.id
	e.seq.OnLostWake = func(pid int) {
		diagnose("%s set Event %s and died before waking the processes waiting for it; %s woke up by itself", describePid(pid, processName(pid)), id, me())
	}
}

// Set sets the flag and wakes every process waiting for it.
func (e *Event) Set() {
	defer runtime.KeepAlive(e)
	perturb()
	for {
		v := e.seq.Load()
		if v&1 == 1 {
			return
		}
		if e.seq.CompareAndSwapWake(v, v+1, allWaiters) {
			return
		}
	}
}

// Clear unsets the flag.
func (e *Event) Clear() {
	defer runtime.KeepAlive(e)
	perturb()
	for {
		v := e.seq.Load()
		if v&1 == 0 || e.seq.CompareAndSwap(v, v+1) {
			return
		}
	}
}

// IsSet reports whether the flag is set.
func (e *Event) IsSet() bool {
	set := e.seq.Load()&1 == 1
	runtime.KeepAlive(e)
	return set
}

// Wait blocks until the flag is set.
func (e *Event) Wait() { e.wait(time.Time{}, noTimeout) }

// WaitTimeout waits at most d for the flag and reports whether it is set.
func (e *Event) WaitTimeout(d time.Duration) bool { return e.wait(deadlineAfter(d), max(d, 0)) }

// wait waits for the flag until the deadline at most; d is the call's
// timeout, for its trace.
func (e *Event) wait(deadline time.Time, d time.Duration) bool {
	defer runtime.KeepAlive(e)
	perturb()
	for blocked := false; ; blocked = true {
		v := e.seq.Load()
		if v&1 == 1 {
			if traceFile != nil {
				traceWaited("event="+e.id, d, true)
			}
			return true
		}
		if traceFile != nil && !blocked && d != 0 {
			traceBlock("Wait", "event="+e.id, d)
		}
		if !e.seq.WaitChange(v, deadline) {
			set := e.IsSet()
			if traceFile != nil {
				traceWaited("event="+e.id, d, set)
			}
			return set
		}
	}
}

func (e *Event) mpKind() string { return "Event" }

func (e *Event) encodeHandle(enc *encoder) error { return e.encodeShared(enc, "Event") }

func (e *Event) decodeHandle(d *decoder) error {
	if err := e.decodeShared(d); err != nil {
		return err
	}
	e.open()
	return nil
}

// Condition lets processes wait, holding a lock, until another process
// notifies them, like Python's multiprocessing.Condition. Wait releases the
// lock while it waits and reacquires it before returning.
//
// As with every condition variable, a waiter may wake without a matching
// Notify, or find the condition false again by the time it holds the lock:
// wait in a loop that tests the condition, or use WaitFor.
//
// Its zero value is not usable: make one with NewCondition.
type Condition struct {
	shared
	lock *RLock
	seq  *shm.Seq // counts notifications
}

// NewCondition returns a condition using lock, or a new RLock if lock is
// nil (Python's default).
func NewCondition(lock *RLock) *Condition {
	if lock == nil {
		lock = NewRLock()
	}
	c := &Condition{shared: newShared("cond", shm.SeqSize), lock: lock}
	c.open()
	return c
}

func (c *Condition) open() {
	releaseWith(c, c.region)
	c.seq = must(shm.OpenSeq(c.region, 0))
	id := c.id
	c.seq.OnLostWake = func(pid int) {
		diagnose("%s notified Condition %s and died before waking the processes waiting on it; %s woke up by itself", describePid(pid, processName(pid)), id, me())
	}
}

// Acquire acquires the condition's lock. If the process holding it died
// without releasing it, Acquire takes it over and prints one line naming
// that process: what the lock guards is as that process left it.
func (c *Condition) Acquire() {
	if c.lock.m.Enter() {
		return
	}
	perturb()
	if _, dead := c.lock.lock(time.Time{}, noTimeout, true); dead != 0 {
		diagnose("%s took over the lock of Condition %s from %s, which died holding it: what it guards is as that process left it", me(), c.id, describePid(dead, processName(dead)))
	}
	c.lock.acquired()
	runtime.KeepAlive(c)
}

// Release releases the condition's lock.
func (c *Condition) Release() error { return c.lock.Release() }

// Lock is Acquire, for sync.Locker.
func (c *Condition) Lock() { c.Acquire() }

// Unlock is Release, for sync.Locker.
func (c *Condition) Unlock() { c.lock.Unlock() }

// Wait releases the lock, waits for a notification, and reacquires the
// lock. The caller must hold the lock, or Wait returns ErrNotOwner.
//
// If a process died holding the lock while Wait waited for it, Wait takes
// the lock over and returns a *DeadProcessError naming that process
// (errors.Is(err, ErrProcessDied)), with the lock held: what the lock
// guards may be half changed, as a robust pthread mutex's EOWNERDEAD says.
func (c *Condition) Wait() error {
	_, err := c.wait(time.Time{}, noTimeout)
	return err
}

// WaitTimeout is Wait for at most d; it reports whether it was notified.
func (c *Condition) WaitTimeout(d time.Duration) (bool, error) {
	return c.wait(deadlineAfter(d), max(d, 0))
}

// wait is Wait until the deadline at most; d is the call's timeout, for
// its trace: block, then wait when notified (or given up), then the
// lock's acquire.
func (c *Condition) wait(deadline time.Time, d time.Duration) (bool, error) {
	defer runtime.KeepAlive(c)
	v := c.seq.Load()
	n, err := c.lock.releaseAll()
	if err != nil {
		return false, err
	}
	if traceFile != nil && d != 0 {
		traceBlock("Wait", "cond="+c.id, d)
	}
	ok := c.seq.WaitChange(v, deadline)
	if traceFile != nil {
		traceWaited("cond="+c.id, d, ok)
	}
	if dead := c.lock.restore(n); dead != 0 {
		return ok, deadProcess(dead, "holding the lock of Condition "+c.id+", which Wait has taken over")
	}
	return ok, nil
}

// WaitFor waits until cond returns true, calling it with the lock held, for
// at most d (d < 0: no limit), and returns its last result. It returns
// Wait's error, with the lock held, if Wait returns one.
func (c *Condition) WaitFor(cond func() bool, d time.Duration) (bool, error) {
	var deadline time.Time
	if d >= 0 {
		deadline = time.Now().Add(d)
	}
	for !cond() {
		left := noTimeout
		if !deadline.IsZero() {
			if left = time.Until(deadline); left <= 0 {
				return false, nil
			}
		}
		if _, err := c.wait(deadline, left); err != nil {
			return false, err
		}
	}
	return true, nil
}

// Notify wakes up to n processes waiting on the condition. The caller must
// hold the lock.
func (c *Condition) Notify(n int) error {
	defer runtime.KeepAlive(c)
	if !c.owned() {
		return ErrNotOwner
	}
	c.seq.AddWake(1, n)
	return nil
}

// NotifyAll wakes every process waiting on the condition. The caller must
// hold the lock.
func (c *Condition) NotifyAll() error {
	defer runtime.KeepAlive(c)
	if !c.owned() {
		return ErrNotOwner
	}
	c.seq.Bump()
	return nil
}

func (c *Condition) owned() bool { return c.lock.ownedHere() }

func (c *Condition) mpKind() string { return "Condition" }

func (c *Condition) encodeHandle(e *encoder) error {
	if err := c.encodeShared(e, "Condition"); err != nil {
		return err
	}
	return c.lock.encodeHandle(e)
}

func (c *Condition) decodeHandle(d *decoder) error {
	if err := c.decodeShared(d); err != nil {
		return err
	}
	c.open()
	c.lock = new(RLock)
	return c.lock.decodeHandle(d)
}

// allWaiters wakes every process waiting on a Seq.
const allWaiters = 1<<31 - 1
