package mp

import (
	"io"
	"os"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/forklore/forklore/mp/internal/shm"
	"golang.org/x/sys/unix"
)

// StopAt makes this process stop itself with SIGSTOP the first time it
// reaches the fault point (see shm.SetFaultHook for the points), so that a
// test can kill it exactly there, whatever the machine's load. A target
// calls it first thing; only tests can, since this file is compiled into
// the test binary only.
func StopAt(point string) {
	var once atomic.Bool
	shm.SetFaultHook(func(p string) {
		if p == point && !once.Swap(true) {
			stopThisThread()
			// Continued (to take a SIGTERM), never go past the point.
			for {
				time.Sleep(time.Hour)
			}
		}
	})
}

// CaptureDiagnostics sends this process's diagnostics to w until the
// function it returns is called.
func CaptureDiagnostics(w io.Writer) (restore func()) {
	diagnostics.Lock()
	old := diagnostics.w
	diagnostics.w = w
	diagnostics.Unlock()
	return func() {
		diagnostics.Lock()
		diagnostics.w = old
		diagnostics.Unlock()
	}
}

// Sleepers returns how many processes sleep (or are about to) on an
// Event's or Semaphore's word: a test waits for a waiter to be asleep
// before it kills the process that would wake it.
func Sleepers(h any) int {
	var b []byte
	switch h := h.(type) {
	case *Event:
		b = h.region.Bytes()
	case *Semaphore:
		b = h.region.Bytes()
	default:
		panic("Sleepers of a " + h.(interface{ mpKind() string }).mpKind())
	}
	return int(atomic.LoadUint32((*uint32)(unsafe.Pointer(&b[4]))))
}

// Mappings returns how many regions this process has mapped and not given
// back yet.
func Mappings() int64 { return regions.live.Load() }

// stopThisThread stops the process with a SIGSTOP aimed at the calling
// thread: the thread takes it on its way out of the system call and stops
// there. A SIGSTOP sent to the process may be taken by another thread,
// and the caller would run on for a moment before the whole process stops.
func stopThisThread() {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	unix.Tgkill(os.Getpid(), unix.Gettid(), syscall.SIGSTOP)
}

// MessagePausesLeft returns how many long pauses this process may still
// take at message sites in a lull run.
func MessagePausesLeft() int { return int(msgPauses.Load()) }
