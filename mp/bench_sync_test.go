package mp_test

import (
	"testing"

	"github.com/forklore/forklore/mp"
)

// Benchmarks of the cooperation primitives within one process; cmd/mpbench
// measures them across processes, side by side with Python.

func BenchmarkLockUncontended(b *testing.B) {
	l := mp.NewLock()
	for b.Loop() {
		l.Acquire()
		l.Release()
	}
}

func BenchmarkQueuePutGet(b *testing.B) {
	q := mp.NewQueue[int](0)
	for i := 0; b.Loop(); i++ {
		q.Put(i)
		q.Get()
	}
}

func BenchmarkPipeKiB(b *testing.B) {
	a, c := mp.Pipe()
	defer a.Close()
	defer c.Close()
	block := make([]byte, 1024)
	b.SetBytes(1024)
	go func() {
		for range b.N + 1 {
			a.SendBytes(block)
		}
	}()
	c.RecvBytes()
	b.ResetTimer()
	for range b.N {
		if _, err := c.RecvBytes(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValueLockedIncrement is Python's `with v.get_lock(): v.value
// += 1` in one process: what each step of cmd/mpbench's contended row costs
// without contention.
func BenchmarkValueLockedIncrement(b *testing.B) {
	v := mp.NewValue[int64](0)
	for b.Loop() {
		v.Lock()
		v.Store(v.Load() + 1)
		v.Unlock()
	}
}
