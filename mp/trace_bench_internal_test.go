package mp

import (
	"bufio"
	"os"
	"testing"
)

// The cost of the trace (docs/trace.md), with MP_TRACE set as the grader
// sets it: the trace is a FIFO that a reader drains while the run goes on.
// cmd/mpbench -trace measures the same on whole mp operations, between
// processes.

// withTrace points the trace at a pipe drained by a goroutine, as the
// grader's FIFO is, for the length of the benchmark.
func withTrace(b *testing.B) {
	r, w, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		rd := bufio.NewReaderSize(r, 64<<10)
		for {
			if _, err := rd.ReadSlice('\n'); err != nil && err != bufio.ErrBufferFull {
				return
			}
		}
	}()
	saved := traceFile
	traceFile = w
	b.Cleanup(func() {
		traceFile = saved
		w.Close()
		<-done
		r.Close()
	})
}

// BenchmarkTraceEvent is one event written: the clock, the line, one
// write(2).
func BenchmarkTraceEvent(b *testing.B) {
	withTrace(b)
	for b.Loop() {
		trace("put", "queue=queue12345.1")
	}
}

// BenchmarkTraceEventDevNull is the same event written to /dev/null: what
// the writing process spends, without waking a reader.
func BenchmarkTraceEventDevNull(b *testing.B) {
	f, err := os.OpenFile(os.DevNull, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		b.Fatal(err)
	}
	saved := traceFile
	traceFile = f
	b.Cleanup(func() { traceFile = saved; f.Close() })
	for b.Loop() {
		trace("put", "queue=queue12345.1")
	}
}

// BenchmarkTraceOff is the same call site with MP_TRACE unset: one branch.
func BenchmarkTraceOff(b *testing.B) {
	saved := traceFile
	traceFile = nil
	b.Cleanup(func() { traceFile = saved })
	for b.Loop() {
		if traceFile != nil {
			trace("put", "queue=queue12345.1")
		}
	}
}

// BenchmarkLockPairTraced is an uncontended Acquire and Release, which
// write two events, next to BenchmarkLockPairUntraced.
func BenchmarkLockPairTraced(b *testing.B) {
	withTrace(b)
	benchLockPair(b)
}

func BenchmarkLockPairUntraced(b *testing.B) {
	saved := traceFile
	traceFile = nil
	b.Cleanup(func() { traceFile = saved })
	benchLockPair(b)
}

func benchLockPair(b *testing.B) {
	l := NewLock()
	for b.Loop() {
		l.Acquire()
		_ = l.Release()
	}
}
