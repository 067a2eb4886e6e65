package mp_test

// Conformance tests ported from the relevant cases of CPython's
// _TestLock, _TestSemaphore, _TestEvent and _TestCondition, and stress tests
// of shared values across real processes.

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/forklore/forklore/mp"
)

// ---- targets ----

func incrementLocked(v *mp.Value[int64], l *mp.Lock, n int) {
	for range n {
		l.Acquire()
		v.Store(v.Load() + 1)
		l.Release()
	}
}

// incrementUnderValueLock is Python's `with v.get_lock(): v.value += 1`,
// n times; inside, the lock is held once.
func incrementUnderValueLock(v *mp.Value[int64], n int) {
	for range n {
		v.Lock()
		v.Store(v.Load() + 1)
		if s := v.GetLock().String(); !strings.HasSuffix(s, ", 1)>") {
			panic("inside Lock, after Load and Store, the lock is " + s + "; want it held once")
		}
		v.Unlock()
	}
}

func incrementValue(v *mp.Value[int64], n int) {
	for range n {
		v.Add(1)
	}
}

// holdLock acquires l, says so, and holds it until block reaches EOF.
func holdLock(l *mp.Lock, w, block *os.File) {
	l.Acquire()
	fmt.Fprintln(w, "held")
	w.Close()
	blockOn(block)
	l.Release()
}

// acquireAndExit takes the lock and exits without releasing it: the
// deadlock the seeds warn about.
func acquireAndExit(l *mp.Lock) {
	l.Acquire()
	os.Exit(0)
}

func acquireForever(l *mp.Lock) {
	l.Acquire()
}

func waitEvent(e *mp.Event, w *os.File) {
	ok := e.WaitTimeout(30 * time.Second)
	fmt.Fprintln(w, "event", ok)
	w.Close()
}

func setEventLater(e *mp.Event) {
	time.Sleep(20 * time.Millisecond)
	e.Set()
}

func releaseSem(s *mp.Semaphore, n int) {
	for range n {
		if err := s.Release(); err != nil {
			panic(err)
		}
	}
}

// waitCondition waits until the value reaches want, then reports it.
func waitCondition(c *mp.Condition, v *mp.Value[int64], want int64, w *os.File) {
	c.Acquire()
	ok, err := c.WaitFor(func() bool { return v.Load() >= want }, 30*time.Second)
	c.Release()
	fmt.Fprintln(w, "condition", ok, err)
	w.Close()
}

func fillArray(a *mp.Array[float64]) {
	for i := range a.Len() {
		a.Set(i, float64(i)*1.5)
	}
}

// ---- tests ----

func TestLockReleaseUnlocked(t *testing.T) {
	l := mp.NewLock()
	err := l.Release()
	if !errors.Is(err, mp.ErrReleasedTooManyTimes) || err.Error() != "mp: semaphore or lock released too many times" {
		t.Errorf("Release() of an unlocked Lock = %v; want %v", err, mp.ErrReleasedTooManyTimes)
	}
	l.Acquire()
	if err := l.Release(); err != nil {
		t.Errorf("Release() = %v; want nil", err)
	}
	if err := l.Release(); !errors.Is(err, mp.ErrReleasedTooManyTimes) {
		t.Errorf("second Release() = %v; want %v", err, mp.ErrReleasedTooManyTimes)
	}
	func() {
		defer func() {
			if r := recover(); r == nil {
				t.Error("Unlock() of an unlocked Lock did not panic")
			}
		}()
		l.Unlock()
	}()
}

func TestLockHeldByAnotherProcess(t *testing.T) {
	l := mp.NewLock()
	r, w := pipe(t)
	block, unblock := pipe(t)
	p := mp.NewProcess(holdLock, l, w, block)
	start(t, p)
	w.Close()
	block.Close()
	if line, _ := bufio.NewReader(r).ReadString('\n'); line != "held\n" {
		t.Fatalf("child said %q; want held", line)
	}
	if l.TryAcquire() {
		t.Fatal("TryAcquire() = true while another process holds the lock")
	}
	for _, d := range []time.Duration{0, -time.Second} {
		if l.AcquireTimeout(d) {
			t.Fatalf("AcquireTimeout(%v) = true while held elsewhere", d)
		}
	}
	began := time.Now()
	if l.AcquireTimeout(30 * time.Millisecond) {
		t.Fatal("AcquireTimeout(30ms) = true while held elsewhere")
	}
	if waited := time.Since(began); waited < 30*time.Millisecond {
		t.Errorf("AcquireTimeout(30ms) gave up after %v", waited)
	}
	if s := l.String(); s != fmt.Sprintf("<Lock(owner=%s)>", p.Name) {
		t.Errorf("String() = %q; want the holder's name", s)
	}
	unblock.Close()
	if !l.AcquireTimeout(30 * time.Second) {
		t.Fatal("AcquireTimeout(30s) = false after the holder released it")
	}
	l.Release()
	joinWithin(t, p)
	if s := l.String(); s != "<Lock(owner=None)>" {
		t.Errorf("String() = %q; want owner=None", s)
	}
}

// runTogether starts procs processes running target with args, then joins
// them all.
func runTogether(t *testing.T, procs int, target any, args ...any) {
	t.Helper()
	var ps []*mp.Process
	for range procs {
		p := mp.NewProcess(target, args...)
		start(t, p)
		ps = append(ps, p)
	}
	for _, p := range ps {
		joinWithin(t, p)
	}
}

func TestLockedIncrementsAreExact(t *testing.T) {
	// 4 processes × 100k lock-protected increments of a shared Value.
	const procs, n = 4, 100_000
	v := mp.NewValue[int64](0)
	runTogether(t, procs, incrementLocked, v, mp.NewLock(), n)
	if got := v.Load(); got != procs*n {
		t.Errorf("total = %d; want %d", got, procs*n)
	}
}

func TestIncrementsUnderAValuesOwnLockAreExact(t *testing.T) {
	const procs, n = 3, 50_000
	v := mp.NewValue[int64](0)
	runTogether(t, procs, incrementUnderValueLock, v, n)
	if got := v.Load(); got != procs*n {
		t.Errorf("total = %d; want %d", got, procs*n)
	}
	if s := v.GetLock().String(); s != "<RLock(None, 0)>" {
		t.Errorf("the Value's lock after every process released it: %s; want <RLock(None, 0)>", s)
	}
}

func TestValueAddIsAtomic(t *testing.T) {
	const procs, n = 3, 20_000
	v := mp.NewValue[int64](5)
	runTogether(t, procs, incrementValue, v, n)
	if got := v.Load(); got != 5+procs*n {
		t.Errorf("total = %d; want %d", got, 5+procs*n)
	}
	if s := v.String(); s != fmt.Sprintf("<Value(%d)>", 5+procs*n) {
		t.Errorf("String() = %q", s)
	}
}

func TestArraySharedWithChild(t *testing.T) {
	a := mp.NewArray([]float64{9, 9, 9, 9})
	p := mp.NewProcess(fillArray, a)
	start(t, p)
	joinWithin(t, p)
	if got, want := fmt.Sprint(a.Snapshot()), "[0 1.5 3 4.5]"; got != want {
		t.Errorf("array after the child filled it = %s; want %s", got, want)
	}
}

func TestDeadHolderIsReported(t *testing.T) {
	l := mp.NewLock()
	p := mp.NewProcess(acquireAndExit, l)
	start(t, p)
	joinWithin(t, p)
	// The lock stays held by a dead process. A waiter in another child
	// reports it on its stderr, which we read through a pipe.
	r, w := pipe(t)
	saved := os.Stderr
	os.Stderr = w
	q := mp.NewProcess(acquireForever, l)
	err := q.Start()
	os.Stderr = saved
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Kill(); q.Join() })
	w.Close()
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		t.Fatalf("no diagnostic from the waiter: %v", err)
	}
	for _, want := range []string{q.Name, "held by " + p.Name, fmt.Sprintf("pid %d", p.Pid()), "died without releasing it"} {
		if !strings.Contains(line, want) {
			t.Errorf("diagnostic %q lacks %q", line, want)
		}
	}
	if alive := q.IsAlive(); !alive {
		t.Error("the waiter returned; a dead holder's lock must stay held")
	}
}

func TestRLock(t *testing.T) {
	l := mp.NewRLock()
	if err := l.Release(); !errors.Is(err, mp.ErrNotOwner) || err.Error() != "mp: cannot release un-acquired lock" {
		t.Errorf("Release() of a free RLock = %v; want %v", err, mp.ErrNotOwner)
	}
	l.Acquire()
	l.Acquire()
	if !l.TryAcquire() {
		t.Error("TryAcquire() by the owner = false")
	}
	if s := l.String(); s != "<RLock(MainProcess, 3)>" {
		t.Errorf("String() = %q; want <RLock(MainProcess, 3)>", s)
	}
	for i := range 3 {
		if err := l.Release(); err != nil {
			t.Fatalf("Release() %d = %v", i+1, err)
		}
	}
	if err := l.Release(); !errors.Is(err, mp.ErrNotOwner) {
		t.Errorf("fourth Release() = %v; want %v", err, mp.ErrNotOwner)
	}
	// Another process cannot take it while we hold it.
	l.Acquire()
	v := mp.NewValue[int64](0)
	c := mp.NewCondition(l)
	r, w := pipe(t)
	p := mp.NewProcess(waitCondition, c, v, int64(1), w)
	start(t, p)
	v.Store(1)
	c.NotifyAll()
	l.Release()
	if got := readAll(t, r, w); got != "condition true <nil>\n" {
		t.Errorf("child reported %q", got)
	}
	joinWithin(t, p)
}

func TestSemaphore(t *testing.T) {
	s := mp.NewSemaphore(2)
	if !s.TryAcquire() || !s.TryAcquire() {
		t.Fatal("TryAcquire() failed with units left")
	}
	if s.TryAcquire() || s.AcquireTimeout(0) || s.AcquireTimeout(-time.Second) {
		t.Fatal("acquired a unit of an empty semaphore without waiting")
	}
	if s.Value() != 0 || s.String() != "<Semaphore(value=0)>" {
		t.Errorf("Value() = %d, String() = %q; want 0", s.Value(), s)
	}
	p := mp.NewProcess(releaseSem, s, 3)
	start(t, p)
	for range 3 {
		if !s.AcquireTimeout(30 * time.Second) {
			t.Fatal("AcquireTimeout(30s) = false while a child releases")
		}
	}
	joinWithin(t, p)
	if err := s.Release(); err != nil {
		t.Errorf("Release() on an unbounded semaphore = %v", err)
	}

	b := mp.NewBoundedSemaphore(1)
	if err := b.Release(); !errors.Is(err, mp.ErrReleasedTooManyTimes) {
		t.Errorf("Release() past the bound = %v; want %v", err, mp.ErrReleasedTooManyTimes)
	}
	b.Acquire()
	if err := b.Release(); err != nil {
		t.Errorf("Release() within the bound = %v", err)
	}
}

func TestEvent(t *testing.T) {
	e := mp.NewEvent()
	if e.IsSet() || e.WaitTimeout(0) || e.WaitTimeout(10*time.Millisecond) {
		t.Fatal("a new Event is set")
	}
	r, w := pipe(t)
	p := mp.NewProcess(waitEvent, e, w)
	start(t, p)
	q := mp.NewProcess(setEventLater, e)
	start(t, q)
	if got := readAll(t, r, w); got != "event true\n" {
		t.Errorf("waiter reported %q; want event true", got)
	}
	joinWithin(t, p)
	joinWithin(t, q)
	if !e.IsSet() {
		t.Error("IsSet() = false after a child set it")
	}
	e.Set() // setting twice keeps it set
	if !e.IsSet() {
		t.Error("IsSet() = false after Set twice")
	}
	e.Clear()
	e.Clear()
	if e.IsSet() || e.WaitTimeout(0) {
		t.Error("the Event is set after Clear")
	}
}

func TestConditionRequiresLock(t *testing.T) {
	c := mp.NewCondition(nil)
	if err := c.Notify(1); !errors.Is(err, mp.ErrNotOwner) {
		t.Errorf("Notify without the lock = %v; want %v", err, mp.ErrNotOwner)
	}
	if err := c.Wait(); !errors.Is(err, mp.ErrNotOwner) {
		t.Errorf("Wait without the lock = %v; want %v", err, mp.ErrNotOwner)
	}
	c.Acquire()
	if ok, err := c.WaitTimeout(10 * time.Millisecond); ok || err != nil {
		t.Errorf("WaitTimeout with nobody notifying = %v, %v; want false, nil", ok, err)
	}
	c.Release()
}
