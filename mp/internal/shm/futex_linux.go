package shm

import (
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Shared futex operations: without FUTEX_PRIVATE_FLAG, so that the kernel
// keys waiters by the page's backing object and processes that map the same
// region at different addresses meet on the same word.
const (
	futexWaitOp = 0 // FUTEX_WAIT
	futexWakeOp = 1 // FUTEX_WAKE
)

// futexWait sleeps while *addr == val, until woken, for at most d (forever if
// d < 0). It reports alone when no FUTEX_WAKE ended it: d passed, *addr was
// not val any more when it went to sleep, or a signal came (a SIGCHLD when
// a child stops, say). It may return early for any reason; callers
// re-check their state.
func futexWait(addr *uint32, val uint32, d time.Duration) (alone bool) {
	var ts *unix.Timespec
	if d >= 0 {
		t := unix.NsecToTimespec(int64(d))
		ts = &t
	}
	_, _, errno := unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), futexWaitOp, uintptr(val), uintptr(unsafe.Pointer(ts)), 0, 0)
	return errno != 0
}

// futexWake wakes up to n processes sleeping on addr.
func futexWake(addr *uint32, n int) {
	unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), futexWakeOp, uintptr(n), 0, 0, 0)
}
