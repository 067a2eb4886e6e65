package mp

import (
	"errors"
	"os"
	"runtime"
	"strconv"
	"time"

	"github.com/forklore/forklore/internal/mptrace"
	"github.com/forklore/forklore/mp/internal/shm"
)

// ErrReleasedTooManyTimes is returned by Release on a Lock that is not
// locked and on a bounded Semaphore at its bound. The text is Python's.
var ErrReleasedTooManyTimes = errors.New("mp: semaphore or lock released too many times")

// ErrNotOwner is returned by RLock.Release in a process that does not hold
// the lock. The text is Python's.
var ErrNotOwner = errors.New("mp: cannot release un-acquired lock")

// deadHolderPatience is how long a blocked Acquire waits before it checks
// whether the holder is still alive.
const deadHolderPatience = time.Second

// selfPid is this process's pid; os.Getpid is a system call.
var selfPid = os.Getpid()

// Lock is a mutual exclusion lock shared between processes, like Python's
// multiprocessing.Lock. Any process that has the Lock (passed to it as an
// argument of NewProcess) may acquire it, and any process may release it,
// not only the one that acquired it.
//
// A Lock's zero value is not usable: make one with NewLock, before starting
// the processes that share it. Its methods are safe from several goroutines;
// a Lock is not reentrant (see RLock). It implements sync.Locker.
type Lock struct {
	shared
	m *shm.Mutex
}

// NewLock returns an unlocked Lock.
func NewLock() *Lock {
	l := &Lock{shared: newShared("lock", shm.MutexSize)}
	l.open()
	return l
}

func (l *Lock) open() {
	releaseWith(l, l.region)
	l.m = must(shm.OpenMutex(l.region, 0))
	l.m.Patience = deadHolderPatience
	l.m.OnDeadHolder = func(pid int, name string) { reportDeadHolder("Lock", l.id, pid, name) }
}

// reportDeadHolder prints the one diagnostic of a waiter stuck behind a
// lock whose holder died: the deadlock Python's docs warn about when they
// say terminate does not release locks.
func reportDeadHolder(kind, id string, pid int, name string) {
	if name == "" {
		name = "a process"
	}
	diagnose("%s (pid %d) is waiting for %s %s, held by %s (pid %d), which died without releasing it: this wait will never end (see docs/how-mp-works.md, \"A lock held by a dead process\")",
		CurrentProcess().Name, selfPid, kind, id, name, pid)
}

// Acquire blocks until the lock is held by the caller.
//
// If the holder died without releasing the lock (it was terminated, or
// exited while holding it), Acquire waits forever, as in Python; after a
// second it prints one line on stderr naming the dead holder.
func (l *Lock) Acquire() {
	perturb()
	if !l.m.TryLock() {
		l.wait(time.Time{}, noTimeout)
	}
	l.acquired()
	runtime.KeepAlive(l)
}

// acquired records the holder's name for diagnostics and traces the event.
func (l *Lock) acquired() {
	l.m.SetHolderName(self.name)
	if traceFile != nil {
		trace("acquire", "lock="+l.id)
	}
}

// wait takes the lock that TryLock found held, until the deadline at
// most, tracing the wait (see waitSlow); d is the call's timeout. It is
// not inlined, so that the fast path keeps a small frame.
//
//go:noinline
func (l *Lock) wait(deadline time.Time, d time.Duration) bool {
	return waitSlow("Acquire", mptrace.Acquire, "lock="+l.id, d, deadline, l.m.LockDeadline)
}

// TryAcquire acquires the lock if it is free, without waiting, and reports
// whether it did (Python's acquire(block=False)).
func (l *Lock) TryAcquire() bool {
	defer runtime.KeepAlive(l)
	perturb()
	if !l.m.TryLock() {
		return false
	}
	l.acquired()
	return true
}

// AcquireTimeout waits at most d for the lock and reports whether it
// acquired it. d <= 0 does not wait.
func (l *Lock) AcquireTimeout(d time.Duration) bool {
	defer runtime.KeepAlive(l)
	perturb()
	if !l.m.TryLock() && !l.wait(deadlineAfter(d), max(d, 0)) {
		return false
	}
	l.acquired()
	return true
}

// Release releases the lock. Releasing a lock that is not locked returns
// ErrReleasedTooManyTimes.
func (l *Lock) Release() error {
	perturb()
	if traceFile != nil {
		// Before the unlock: once unlocked, another process's acquire may
		// be written first, and the trace would show two holders.
		if _, _, held := l.m.Holder(); held {
			trace("release", "lock="+l.id)
		}
	}
	err := l.m.Unlock()
	runtime.KeepAlive(l)
	if err != nil {
		return ErrReleasedTooManyTimes
	}
	return nil
}

// Lock is Acquire, for sync.Locker.
func (l *Lock) Lock() { l.Acquire() }

// Unlock is Release, for sync.Locker. It panics if the lock is not locked,
// as sync.Mutex does, since it cannot return the error.
func (l *Lock) Unlock() {
	if err := l.Release(); err != nil {
		panic(err)
	}
}

// String describes the lock as Python's repr does: <Lock(owner=Process-1)>
// or <Lock(owner=None)>.
func (l *Lock) String() string {
	pid, name, held := l.m.Holder()
	runtime.KeepAlive(l)
	switch {
	case !held:
		return "<Lock(owner=None)>"
	case name == "":
		return "<Lock(owner=pid " + strconv.Itoa(pid) + ")>"
	}
	return "<Lock(owner=" + name + ")>"
}

func (l *Lock) mpKind() string { return "Lock" }

func (l *Lock) encodeHandle(e *encoder) error { return l.encodeShared(e, "Lock") }

func (l *Lock) decodeHandle(d *decoder) error {
	if err := l.decodeShared(d); err != nil {
		return err
	}
	l.open()
	return nil
}

// RLock is a reentrant lock shared between processes, like Python's
// multiprocessing.RLock: the process that holds it may acquire it again,
// and must release it as many times. Ownership is per process, not per
// goroutine: every goroutine of the owning process counts as the owner.
//
// Its zero value is not usable: make one with NewRLock.
type RLock struct {
	shared
	m *shm.Mutex // its state word holds the owner's pid and how many times it acquired

	// robust makes every acquire take the lock over from a holder that
	// died: the lock inside a Value or an Array, which has no other way to
	// go on. kind names what it guards in the diagnostic.
	robust bool
	kind   string
}

// rlockSize is the size of an RLock's words: the mutex alone, which keeps
// the owner and the levels it acquired in its state word.
const rlockSize = shm.MutexSize

// NewRLock returns an unlocked RLock.
func NewRLock() *RLock {
	l := &RLock{shared: newShared("rlock", rlockSize)}
	l.open()
	releaseWith(l, l.region)
	return l
}

// open maps the lock's words; its region is released with whatever holds
// the RLock (the RLock itself, a Value, an Array).
func (l *RLock) open() {
	if l.kind == "" {
		l.kind = "RLock"
	}
	l.m = must(shm.OpenMutex(l.region, 0))
	l.m.Patience = deadHolderPatience
	if !l.robust {
		kind, id := l.kind, l.id
		l.m.OnDeadHolder = func(pid int, name string) { reportDeadHolder(kind, id, pid, name) }
	}
}

// openRobust opens the lock inside a Value or an Array (kind), which takes
// a dead holder's lock over.
func (l *RLock) openRobust(kind string) {
	l.robust, l.kind = true, kind
	l.open()
	l.m.Patience = shm.DefaultPatience
}

// acquired records the holder's name for diagnostics and traces the event,
// after a first acquire. A robust lock records no name: its diagnostics
// name a dead holder from what this process knows (processName), and it is
// the lock of a Value or an Array, where the name would cost every
// increment.
func (l *RLock) acquired() {
	if !l.robust {
		l.m.SetHolderName(self.name)
	}
	if traceFile != nil {
		trace("acquire", "lock="+l.id)
	}
}

// lock takes the mutex, until the deadline at most (zero: none), and
// reports whether it did, and the pid of the dead holder it took over from
// (only with takeOver, or on a robust lock), or 0. d is the call's timeout,
// for its trace: a lock that is not free at once is traced as a block,
// and a timed call that gives up as an acquire with ok=false.
func (l *RLock) lock(deadline time.Time, d time.Duration, takeOver bool) (bool, int) {
	if traceFile != nil && d != 0 {
		if l.m.TryLock() {
			return true, 0
		}
		traceBlock("Acquire", "lock="+l.id, d)
		ok, dead := l.lockUntraced(deadline, takeOver)
		if !ok && d > 0 {
			traceGaveUp(mptrace.Acquire, "lock="+l.id, d)
		}
		return ok, dead
	}
	return l.lockUntraced(deadline, takeOver)
}

func (l *RLock) lockUntraced(deadline time.Time, takeOver bool) (bool, int) {
	if !takeOver && !l.robust {
		return l.m.LockDeadline(deadline), 0
	}
	ok, dead := l.m.LockOrRecover(deadline)
	if dead != 0 && l.robust {
		diagnose("%s took over the lock of %s %s from %s, which died holding it: %s", me(), l.kind, l.id,
			describePid(dead, processName(dead)), "the numbers it guards are as that process left them")
	}
	return ok, dead
}

// Acquire blocks until this process holds the lock, at once if it already
// does. Like Lock.Acquire, it reports a dead holder after a second.
func (l *RLock) Acquire() {
	// The lock of a Value or an Array, free, with the hooks off: one
	// compare-and-swap, and nothing to record (see acquired).
	if l.robust && !perturbOn && traceFile == nil && l.m.TryLock() {
		runtime.KeepAlive(l)
		return
	}
	l.acquire()
}

func (l *RLock) acquire() {
	perturb()
	switch {
	case l.m.TryLock():
		l.acquired()
	case l.m.Enter():
	default:
		l.lock(time.Time{}, noTimeout, false)
		l.acquired()
	}
	runtime.KeepAlive(l)
}

// TryAcquire acquires the lock if it is free or already held by this
// process, without waiting, and reports whether it did.
func (l *RLock) TryAcquire() bool {
	defer runtime.KeepAlive(l)
	perturb()
	if l.m.Enter() {
		return true
	}
	if ok, _ := l.lock(past, 0, false); !ok {
		return false
	}
	l.acquired()
	return true
}

// AcquireTimeout waits at most d for the lock and reports whether it
// acquired it. d <= 0 does not wait.
func (l *RLock) AcquireTimeout(d time.Duration) bool {
	defer runtime.KeepAlive(l)
	perturb()
	if l.m.Enter() {
		return true
	}
	if ok, _ := l.lock(deadlineAfter(d), max(d, 0), false); !ok {
		return false
	}
	l.acquired()
	return true
}

// Release undoes one Acquire. In a process that does not hold the lock it
// returns ErrNotOwner.
func (l *RLock) Release() error {
	// The lock of a Value or an Array, held once, nobody waiting, the
	// hooks off: one compare-and-swap.
	if l.robust && !perturbOn && traceFile == nil && l.m.TryLeave() {
		runtime.KeepAlive(l)
		return nil
	}
	return l.releaseSlow()
}

func (l *RLock) releaseSlow() error {
	perturb()
	err := l.release()
	runtime.KeepAlive(l)
	return err
}

func (l *RLock) release() error {
	if traceFile != nil && l.m.HeldHere() && l.m.Levels() == 1 {
		// Before the unlock: once unlocked, another process's acquire may
		// be written first, and the trace would show two holders.
		trace("release", "lock="+l.id)
	}
	if _, err := l.m.Leave(); err != nil {
		return ErrNotOwner
	}
	return nil
}

// releaseAll releases every level this process holds and returns how many,
// for Condition.Wait.
func (l *RLock) releaseAll() (int, error) {
	if !l.m.HeldHere() {
		return 0, ErrNotOwner
	}
	n := l.m.Levels()
	l.m.SetLevels(1)
	return n, l.Release()
}

// restore reacquires the levels releaseAll released, taking the lock over
// from a holder that died meanwhile; it returns that holder's pid, or 0.
func (l *RLock) restore(n int) int {
	perturb()
	_, dead := l.lock(time.Time{}, noTimeout, true)
	l.acquired()
	l.m.SetLevels(n)
	runtime.KeepAlive(l)
	return dead
}

// held reports whether this process holds the lock, for the numbers of a
// Value or an Array, which are then read and written as part of that hold.
// Otherwise it acquires the lock and reports false: the caller releases it.
func (l *RLock) held() bool {
	if l.m.HeldHere() {
		perturb()
		return true
	}
	l.Acquire()
	return false
}

// Lock is Acquire, for sync.Locker.
func (l *RLock) Lock() { l.Acquire() }

// Unlock is Release, for sync.Locker; it panics on misuse.
func (l *RLock) Unlock() {
	if err := l.Release(); err != nil {
		panic(err)
	}
}

// String describes the lock as Python's repr does:
// <RLock(Process-1, 2)> or <RLock(None, 0)>.
func (l *RLock) String() string {
	defer runtime.KeepAlive(l)
	pid, name, held := l.m.Holder()
	if !held {
		return "<RLock(None, 0)>"
	}
	if name == "" {
		name = processName(pid) // a robust lock records no name
	}
	if name == "" {
		name = "pid " + strconv.Itoa(pid)
	}
	return "<RLock(" + name + ", " + strconv.Itoa(l.m.Levels()) + ")>"
}

func (l *RLock) mpKind() string { return "RLock" }

func (l *RLock) encodeHandle(e *encoder) error { return l.encodeShared(e, "RLock") }

func (l *RLock) decodeHandle(d *decoder) error {
	if err := l.decodeShared(d); err != nil {
		return err
	}
	l.open()
	releaseWith(l, l.region)
	return nil
}

// ownedHere reports whether this process holds the lock.
func (l *RLock) ownedHere() bool {
	defer runtime.KeepAlive(l)
	return l.m.HeldHere()
}
