package shm

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func init() {
	// mutexCount: wait at the gate, then args[0] times lock, increment the
	// counter at offData non-atomically, unlock; then bump the Seq at
	// offObj2.
	childRoles["mutexCount"] = func(r *Region, args []int) error {
		m := must(OpenMutex(r, offObj))
		c := counter(r, offData)
		if err := waitGate(r); err != nil {
			return err
		}
		for range args[0] {
			m.Lock()
			increment(c)
			if err := m.Unlock(); err != nil {
				return err
			}
		}
		must(OpenSeq(r, offObj2)).Bump()
		return nil
	}
	// mutexEnterTry: the mutex at offObj is held by the parent, args[0]
	// levels deep; Enter and TryLock must both fail here.
	childRoles["mutexEnterTry"] = func(r *Region, args []int) error {
		m := must(OpenMutex(r, offObj))
		if m.Enter() || m.TryLock() || m.HeldHere() || m.Levels() != args[0] {
			return fmt.Errorf("Enter, TryLock, HeldHere, Levels = %v, %v, %v, %d in a process that does not hold it; want false, false, false, %d",
				m.Enter(), m.TryLock(), m.HeldHere(), m.Levels(), args[0])
		}
		if _, err := m.Leave(); err != ErrNotHolder {
			return fmt.Errorf("Leave in a process that does not hold it = %v; want ErrNotHolder", err)
		}
		return nil
	}
	// mutexEnterDie: lock, enter args[0] more levels, say so, exit holding it.
	childRoles["mutexEnterDie"] = func(r *Region, args []int) error {
		m := must(OpenMutex(r, offObj))
		m.Lock()
		for range args[0] {
			m.Enter()
		}
		must(OpenSeq(r, offReady)).Bump()
		return nil
	}
	// mutexHold: lock as "Process-3", say so through the ready Seq, then
	// with args[0] == 0 wait for the gate and unlock; with args[0] == 1 exit
	// without unlocking; with args[0] == 2 sleep until killed.
	childRoles["mutexHold"] = func(r *Region, args []int) error {
		m := must(OpenMutex(r, offObj))
		m.LockAs("Process-3")
		must(OpenSeq(r, offReady)).Bump()
		switch args[0] {
		case 0:
			must(OpenSeq(r, offGate)).WaitChange(0, time.Time{})
			return m.Unlock()
		case 1:
			return nil
		default:
			select {}
		}
	}
}

// increment adds 1 to *c in two steps, so that unsynchronised callers lose
// updates.
func increment(c *uint64) {
	v := atomic.LoadUint64(c)
	atomic.StoreUint64(c, v+1)
}

func TestMutexExclusionAcrossProcesses(t *testing.T) {
	const procs, each = 4, 100_000
	r := newRegion(t, 4096)
	var children []*child
	for range procs {
		children = append(children, startChild(t, r, "mutexCount", each))
	}
	openGate(t, r, procs)
	for _, c := range children {
		c.wait(t)
	}
	if got, want := atomic.LoadUint64(counter(r, offData)), uint64(procs*each); got != want {
		t.Errorf("counter after %d processes × %d locked increments = %d; want %d", procs, each, got, want)
	}
	if _, _, held := must(OpenMutex(r, offObj)).Holder(); held {
		t.Errorf("mutex still held after every process unlocked it")
	}
}

func TestMutexExclusionGoroutines(t *testing.T) {
	const goroutines, each = 8, 20_000
	r := newRegion(t, 4096)
	c := counter(r, offData)
	done := make(chan struct{})
	for range goroutines {
		go func() {
			defer func() { done <- struct{}{} }()
			m := must(OpenMutex(r, offObj)) // a handle each, as separate processes have
			for range each {
				m.Lock()
				increment(c)
				m.Unlock()
			}
		}()
	}
	for range goroutines {
		<-done
	}
	if got, want := atomic.LoadUint64(c), uint64(goroutines*each); got != want {
		t.Errorf("counter = %d; want %d", got, want)
	}
}

func TestMutexTryLockAndDeadlines(t *testing.T) {
	r := newRegion(t, 4096)
	m := must(OpenMutex(r, offObj))
	now := time.Now()
	tries := []struct {
		name string
		lock func() bool
	}{
		{"TryLock", m.TryLock},
		{"LockDeadline(zero time)", func() bool { return m.LockDeadline(time.Time{}) }},
		{"LockDeadline(now)", func() bool { return m.LockDeadline(time.Now()) }},
		{"LockDeadline(1s ago)", func() bool { return m.LockDeadline(now.Add(-time.Second)) }},
		{"LockDeadline(in 20ms)", func() bool { return m.LockDeadline(time.Now().Add(20 * time.Millisecond)) }},
	}
	for _, tr := range tries {
		if !tr.lock() {
			t.Errorf("unlocked mutex: %s = false; want true", tr.name)
		}
		if err := m.Unlock(); err != nil {
			t.Errorf("Unlock after %s = %v; want nil", tr.name, err)
		}
	}

	// Held by another process: only the deadlines in the future wait.
	child := startChild(t, r, "mutexHold", 0)
	must(OpenSeq(r, offReady)).WaitChange(0, time.Time{})
	for _, tr := range tries {
		if tr.name == "LockDeadline(zero time)" || tr.name == "LockDeadline(in 20ms)" {
			continue // would wait forever; the 20ms case is timed below
		}
		if tr.lock() {
			t.Errorf("mutex held by another process: %s = true; want false", tr.name)
		}
	}
	start := time.Now()
	if m.LockDeadline(start.Add(20 * time.Millisecond)) {
		t.Errorf("mutex held by another process: LockDeadline(in 20ms) = true; want false")
	}
	if waited := time.Since(start); waited < 20*time.Millisecond {
		t.Errorf("LockDeadline(in 20ms) gave up after %v; want at least 20ms", waited)
	}
	// The holder unlocks once the gate opens; a waiter with a long deadline
	// (or none) gets the lock then.
	must(OpenSeq(r, offGate)).Bump()
	if !m.LockDeadline(time.Now().Add(time.Hour)) {
		t.Errorf("LockDeadline(in 1h) while the holder unlocks = false; want true")
	}
	child.wait(t)
	if err := m.Unlock(); err != nil {
		t.Errorf("Unlock = %v", err)
	}
}

func TestMutexUnlockTooManyTimes(t *testing.T) {
	r := newRegion(t, 4096)
	m := must(OpenMutex(r, offObj))
	if err := m.Unlock(); !errors.Is(err, ErrReleasedTooManyTimes) {
		t.Errorf("Unlock of a fresh mutex = %v; want ErrReleasedTooManyTimes", err)
	}
	m.Lock()
	if err := m.Unlock(); err != nil {
		t.Errorf("Unlock of a locked mutex = %v; want nil", err)
	}
	if err := m.Unlock(); !errors.Is(err, ErrReleasedTooManyTimes) {
		t.Errorf("second Unlock = %v; want ErrReleasedTooManyTimes", err)
	}
	if got, want := ErrReleasedTooManyTimes.Error(), "shm: semaphore or lock released too many times"; got != want {
		t.Errorf("ErrReleasedTooManyTimes.Error() = %q; want %q", got, want)
	}
	if !m.TryLock() {
		t.Errorf("TryLock after a failed Unlock = false; the failed Unlock changed the state")
	}
}

func TestMutexHolder(t *testing.T) {
	r := newRegion(t, 4096)
	m := must(OpenMutex(r, offObj))
	if pid, name, held := m.Holder(); held || pid != 0 || name != "" {
		t.Errorf("Holder() of a fresh mutex = %d, %q, %v; want 0, \"\", false", pid, name, held)
	}
	m.Lock()
	if pid, name, held := m.Holder(); !held || pid != int(selfPid) || name != "" {
		t.Errorf("Holder() after Lock = %d, %q, %v; want %d, \"\", true", pid, name, held, selfPid)
	}
	long := strings.Repeat("x", 60)
	m.SetHolderName(long)
	if _, name, _ := m.Holder(); name != long[:MaxHolderName] {
		t.Errorf("holder name after SetHolderName(60 bytes) = %q; want the first %d bytes", name, MaxHolderName)
	}
	m.Unlock()
	if _, _, held := m.Holder(); held {
		t.Errorf("Holder() after Unlock: held = true; want false")
	}

	child := startChild(t, r, "mutexHold", 0)
	must(OpenSeq(r, offReady)).WaitChange(0, time.Time{})
	if pid, name, held := m.Holder(); !held || pid != child.cmd.Process.Pid || name != "Process-3" {
		t.Errorf("Holder() while a child holds it = %d, %q, %v; want %d, \"Process-3\", true", pid, name, held, child.cmd.Process.Pid)
	}
	must(OpenSeq(r, offGate)).Bump()
	child.wait(t)
}

// deadHolder starts a child that locks the mutex at offObj and dies
// holding it: with mode 1 it exits and is waited for, with mode 2 it is
// killed and left a zombie until the test's cleanup waits for it.
func deadHolder(t *testing.T, r *Region, mode int) *child {
	t.Helper()
	c := startChild(t, r, "mutexHold", mode)
	must(OpenSeq(r, offReady)).WaitChange(0, time.Time{})
	if mode == 1 {
		c.wait(t)
	} else {
		c.kill(t)
	}
	return c
}

// TestMutexDeadHolder checks that a waiter notices a holder that died, both
// one that exited and was waited for and one killed and not yet waited for
// (a zombie), and that it keeps waiting: the hook unlocks the mutex so that
// the waiter can finish.
func TestMutexDeadHolder(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode int
	}{{"exited", 1}, {"killed", 2}} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRegion(t, 4096)
			child := deadHolder(t, r, tc.mode)
			m := must(OpenMutex(r, offObj))
			var calls []string
			m.Patience = 5 * time.Millisecond
			m.OnDeadHolder = func(pid int, name string) {
				calls = append(calls, fmt.Sprintf("%d %s", pid, name))
				m.Unlock() // as anyone may: let the waiter finish
			}
			m.Lock()
			want := fmt.Sprintf("%d Process-3", child.cmd.Process.Pid)
			if len(calls) != 1 || calls[0] != want {
				t.Errorf("OnDeadHolder calls = %q; want [%q]", calls, want)
			}
			m.Unlock()
		})
	}
}

func TestMutexLiveHolderIsNotReported(t *testing.T) {
	r := newRegion(t, 4096)
	child := startChild(t, r, "mutexHold", 0)
	must(OpenSeq(r, offReady)).WaitChange(0, time.Time{})
	m := must(OpenMutex(r, offObj))
	m.Patience = time.Millisecond
	m.OnDeadHolder = func(pid int, name string) {
		t.Errorf("OnDeadHolder(%d, %q) called while the holder lives", pid, name)
	}
	if m.LockDeadline(time.Now().Add(50 * time.Millisecond)) {
		t.Errorf("LockDeadline while a live child holds the mutex = true; want false")
	}
	must(OpenSeq(r, offGate)).Bump()
	child.wait(t)
}

func TestOpenErrors(t *testing.T) {
	r := newRegion(t, 4096)
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"OpenMutex(misaligned)", second(OpenMutex(r, 4))},
		{"OpenMutex(negative)", second(OpenMutex(r, -64))},
		{"OpenMutex(past the end)", second(OpenMutex(r, 4096-32))},
		{"OpenSeq(past the end)", second(OpenSeq(r, 4096))},
		{"OpenSem(never initialised)", second(OpenSem(r, 0))},
		{"OpenRing(never initialised)", second(OpenRing(r, 0))},
		{"InitRing(capacity 100)", second(InitRing(r, 0, 100))},
		{"InitRing(too big for region)", second(InitRing(r, 0, 4096))},
	} {
		if !errors.Is(tc.err, ErrLayout) {
			t.Errorf("%s = %v; want an ErrLayout", tc.name, tc.err)
		}
	}
	if _, err := InitSem(r, 0, 3, 2); err == nil {
		t.Errorf("InitSem(value 3, bound 2) = nil error; want one")
	}
}

func second[T any](_ T, err error) error { return err }

// TestMutexLevels checks a reentrant hold: levels counted past what the
// state word's depth bits hold, by goroutines at once, kept from other
// processes, given back one by one, set whole, and not inherited by whoever
// takes the mutex over from a holder that died.
func TestMutexLevels(t *testing.T) {
	r := newRegion(t, 4096)
	m := must(OpenMutex(r, offObj))
	if m.Enter() || m.Levels() != 0 {
		t.Fatalf("Enter, Levels on a free mutex = true or %d; want false, 0", m.Levels())
	}
	m.Lock()
	const deep = 600 // past mutexDepthMax
	for range deep - 1 {
		if !m.Enter() {
			t.Fatal("Enter by the holder = false")
		}
	}
	if got := m.Levels(); got != deep {
		t.Fatalf("Levels after Lock and %d Enters = %d; want %d", deep-1, got, deep)
	}
	startChild(t, r, "mutexEnterTry", deep).wait(t)

	// Goroutines enter and leave around the depth bits' limit at once.
	m.SetLevels(mutexDepthMax - 3)
	done := make(chan struct{})
	for range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			h := must(OpenMutex(r, offObj)) // the hold is the process's, whatever the handle
			for range 5000 {
				if !h.Enter() {
					t.Error("Enter in the holding process = false")
					return
				}
				if unlocked, err := h.Leave(); unlocked || err != nil {
					t.Errorf("Leave of an entered level = %v, %v; want false, nil", unlocked, err)
					return
				}
			}
		}()
	}
	for range 8 {
		<-done
	}
	if got := m.Levels(); got != mutexDepthMax-3 {
		t.Fatalf("Levels after goroutines entered and left = %d; want %d", got, mutexDepthMax-3)
	}
	m.SetLevels(deep)
	for i := range deep {
		unlocked, err := m.Leave()
		if err != nil || unlocked != (i == deep-1) {
			t.Fatalf("Leave %d of %d = %v, %v; want %v, nil", i+1, deep, unlocked, err, i == deep-1)
		}
	}
	if _, _, held := m.Holder(); held {
		t.Error("held after every level was left")
	}
	if _, err := m.Leave(); err != ErrNotHolder {
		t.Errorf("Leave of a free mutex = %v; want ErrNotHolder", err)
	}

	// A holder dies deep in: the next holder starts at one level.
	startChild(t, r, "mutexEnterDie", deep).wait(t)
	m.Patience = time.Millisecond
	for {
		locked, dead := m.LockOrRecover(time.Now().Add(10 * time.Millisecond))
		if locked {
			if dead == 0 {
				t.Fatal("LockOrRecover took a dead holder's mutex without saying so")
			}
			break
		}
	}
	if got := m.Levels(); got != 1 {
		t.Errorf("Levels after taking over from a holder %d levels deep = %d; want 1", deep, got)
	}
	if unlocked, err := m.Leave(); !unlocked || err != nil {
		t.Errorf("Leave after the takeover = %v, %v; want true, nil", unlocked, err)
	}
}
