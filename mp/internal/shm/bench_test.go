package shm

import (
	"fmt"
	"testing"
	"time"
)

func init() {
	// benchPut: wait at the gate, put args[0] 8-byte messages in batches of
	// args[1] to the ring at offData.
	childRoles["benchPut"] = func(r *Region, args []int) error {
		ring := must(OpenRing(r, offData))
		n, batch := args[0], args[1]
		msgs := make([][]byte, batch)
		for i := range msgs {
			msgs[i] = make([]byte, 8)
		}
		if err := waitGate(r); err != nil {
			return err
		}
		for sent := 0; sent < n; {
			k := min(batch, n-sent)
			if batch == 1 {
				if err := ring.Put(msgs[0], time.Time{}); err != nil {
					return err
				}
			} else if _, err := ring.PutBatch(msgs[:k], time.Time{}); err != nil {
				return err
			}
			sent += k
		}
		return nil
	}
}

func BenchmarkMutexUncontended(b *testing.B) {
	r := newRegion(b, 4096)
	m := must(OpenMutex(r, offObj))
	for b.Loop() {
		m.Lock()
		m.Unlock()
	}
}

// BenchmarkMutexTwoProcesses has this process and a child each do b.N
// locked increments of a shared counter at once; ops/s counts both.
func BenchmarkMutexTwoProcesses(b *testing.B) {
	r := newRegion(b, 4096)
	m := must(OpenMutex(r, offObj))
	c := counter(r, offData)
	child := startChild(b, r, "mutexCount", b.N)
	done := must(OpenSeq(r, offObj2))
	openGate(b, r, 1)
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		m.Lock()
		increment(c)
		m.Unlock()
	}
	done.WaitChange(0, time.Time{})
	elapsed := time.Since(start)
	b.StopTimer()
	child.wait(b)
	if *c != uint64(2*b.N) {
		b.Fatalf("counter = %d; want %d", *c, 2*b.N)
	}
	b.ReportMetric(float64(2*b.N)/elapsed.Seconds(), "ops/s")
}

func BenchmarkSemUncontended(b *testing.B) {
	r := newRegion(b, 4096)
	s := must(InitSem(r, offObj, 1, 1))
	for b.Loop() {
		s.Acquire()
		s.Release()
	}
}

// BenchmarkRingTwoProcesses has a child put b.N 8-byte messages that this
// process gets.
func BenchmarkRingTwoProcesses(b *testing.B) {
	for _, bc := range []struct{ capacity, batch int }{
		{1 << 16, 1},
		{1 << 16, 64},
		{1 << 10, 1},
	} {
		b.Run(fmt.Sprintf("cap=%d/batch=%d", bc.capacity, bc.batch), func(b *testing.B) {
			r := newRegion(b, offData+RingSize(bc.capacity))
			ring := must(InitRing(r, offData, bc.capacity))
			child := startChild(b, r, "benchPut", b.N, bc.batch)
			openGate(b, r, 1)
			b.ResetTimer()
			start := time.Now()
			buf := make([]byte, 0, 64)
			for range b.N {
				var err error
				if buf, err = ring.Get(buf[:0], time.Time{}); err != nil || len(buf) != 8 {
					b.Fatalf("Get = %d bytes, %v", len(buf), err)
				}
			}
			elapsed := time.Since(start)
			b.StopTimer()
			child.wait(b)
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
		})
	}
}
