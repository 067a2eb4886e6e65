package mp_test

// Tests ported from the relevant cases of CPython's _TestPool: map, apply,
// apply_async, errors in tasks, close and join, terminate, initializer.

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/forklore/forklore/mp"
)

// ---- targets ----

func square(x int) int { return x * x }

func pidOf(int) int { return os.Getpid() }

func mayFail(x int) (string, error) {
	if x == 3 {
		return "", errors.New("three is bad")
	}
	return fmt.Sprint("ok ", x), nil
}

func panics(x int) int {
	if x == 2 {
		panic("two panics")
	}
	return x
}

// initCounter is a Pool initializer: each worker adds 1 to the counter.
func initCounter(v *mp.Value[int64]) { v.Add(1) }

func sleepMs(ms int) int {
	time.Sleep(time.Duration(ms) * time.Millisecond)
	return ms
}

// ---- tests ----

func newPool(t *testing.T, cfg mp.PoolConfig) *mp.Pool {
	t.Helper()
	p, err := mp.NewPool(cfg)
	if err != nil {
		t.Fatalf("NewPool(%+v) = %v", cfg, err)
	}
	t.Cleanup(func() { p.Terminate() })
	return p
}

func TestPoolMap(t *testing.T) {
	p := newPool(t, mp.PoolConfig{Processes: 2})
	items := make([]int, 1000)
	for i := range items {
		items[i] = i
	}
	got, err := mp.Map(p, square, items)
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range got {
		if x != i*i {
			t.Fatalf("Map(square)[%d] = %d; want %d", i, x, i*i)
		}
	}
	empty, err := mp.Map(p, square, nil)
	if err != nil || len(empty) != 0 {
		t.Errorf("Map of no items = %v, %v; want empty", empty, err)
	}
	pids, err := mp.Map(p, pidOf, make([]int, 200))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(pids)
	pids = slices.Compact(pids)
	for _, pid := range pids {
		if !slices.Contains(p.Pids(), pid) {
			t.Errorf("a task ran in pid %d, not one of the workers %v", pid, p.Pids())
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Join(); err != nil {
		t.Fatal(err)
	}
	if _, err := mp.Map(p, square, []int{1}); !errors.Is(err, mp.ErrPoolClosed) {
		t.Errorf("Map after Close = %v; want %v", err, mp.ErrPoolClosed)
	}
}

func TestPoolApply(t *testing.T) {
	p := newPool(t, mp.PoolConfig{Processes: 2})
	if got, err := mp.Apply[int](p, square, 7); got != 49 || err != nil {
		t.Errorf("Apply(square, 7) = %d, %v; want 49", got, err)
	}
	if got, err := mp.Apply[string](p, mayFail, 1); got != "ok 1" || err != nil {
		t.Errorf("Apply(mayFail, 1) = %q, %v", got, err)
	}
	if _, err := mp.Apply[string](p, mayFail, 3); err == nil || err.Error() != "three is bad" {
		t.Errorf("Apply(mayFail, 3) error = %v; want the task's error", err)
	}
	if _, err := mp.Apply[int](p, panics, 2); err == nil || !strings.Contains(err.Error(), "panicked") || !strings.Contains(err.Error(), "two panics") {
		t.Errorf("Apply(panics, 2) error = %v; want the panic", err)
	}
	if _, err := mp.Map(p, panics, []int{1, 2, 3}); err == nil {
		t.Error("Map with a panicking task = nil error")
	}
	var results []*mp.AsyncResult[int]
	for _, ms := range []int{30, 10, 20} {
		results = append(results, mp.ApplyAsync[int](p, sleepMs, ms))
	}
	for i, want := range []int{30, 10, 20} {
		if got, err := results[i].Get(); got != want || err != nil {
			t.Errorf("ApplyAsync(sleepMs, %d).Get() = %d, %v", want, got, err)
		}
		if !results[i].Ready() {
			t.Error("Ready() = false after Get")
		}
	}
	if _, err := mp.Apply[int](p, func(int) int { return 0 }, 1); !errors.Is(err, mp.ErrNotRegistered) {
		t.Errorf("Apply(closure) = %v; want %v", err, mp.ErrNotRegistered)
	}
	if _, err := mp.Apply[string](p, square, 1); err == nil {
		t.Error("Apply[string] of a func returning int = nil error")
	}
	if _, err := mp.Apply[int](p, square, mp.NewLock()); err == nil {
		t.Error("Apply with a handle argument = nil error")
	}
	if err := p.Join(); !errors.Is(err, mp.ErrPoolRunning) {
		t.Errorf("Join before Close = %v; want %v", err, mp.ErrPoolRunning)
	}
}

func TestPoolInitializer(t *testing.T) {
	v := mp.NewValue[int64](0)
	p := newPool(t, mp.PoolConfig{Processes: 3, Initializer: initCounter, InitArgs: []any{v}})
	if _, err := mp.Map(p, square, make([]int, 30)); err != nil {
		t.Fatal(err)
	}
	p.Close()
	p.Join()
	if got := v.Load(); got != 3 {
		t.Errorf("initializer ran %d times; want once per worker (3)", got)
	}
}

func TestPoolTerminate(t *testing.T) {
	p := newPool(t, mp.PoolConfig{Processes: 2})
	slow := mp.ApplyAsync[int](p, sleepMs, 60_000)
	if slow.WaitTimeout(10 * time.Millisecond) {
		t.Fatal("a 60 s task finished at once")
	}
	if err := p.Terminate(); err != nil {
		t.Fatal(err)
	}
	// The abandoned task fails rather than leave its caller waiting.
	if _, err := slow.GetTimeout(30 * time.Second); !errors.Is(err, mp.ErrPoolClosed) {
		t.Errorf("the abandoned task's Get = %v; want an error matching %v", err, mp.ErrPoolClosed)
	}
	for _, pid := range p.Pids() {
		if err := syscallKill0(pid); err == nil {
			t.Errorf("worker %d alive after Terminate", pid)
		}
	}
	if _, err := mp.Apply[int](p, square, 2); !errors.Is(err, mp.ErrPoolClosed) {
		t.Errorf("Apply after Terminate = %v; want %v", err, mp.ErrPoolClosed)
	}
}

func syscallKill0(pid int) error { return syscall.Kill(pid, 0) }
