package shm

import (
	"runtime"
	"time"
)

// sleep blocks while *addr == val, until woken, a spurious return, or the
// deadline (zero: none). It reports false, without sleeping, if the deadline
// has already passed.
func sleep(addr *uint32, val uint32, deadline time.Time) bool {
	if deadline.IsZero() {
		futexWait(addr, val, -1)
		return true
	}
	d := time.Until(deadline)
	if d <= 0 {
		return false
	}
	futexWait(addr, val, d)
	return true
}

// expired reports whether a non-zero deadline has passed.
func expired(deadline time.Time) bool {
	return !deadline.IsZero() && !time.Now().Before(deadline)
}

// spin calls ready until it returns true, for at most n calls, yielding the
// processor now and then; it reports whether ready returned true. Spinning
// before sleeping pays because waking a process on another CPU costs far
// more than a short critical section.
func spin(n int, ready func() bool) bool {
	for i := 0; i < n; i++ {
		if ready() {
			return true
		}
		if i%64 == 63 {
			runtime.Gosched()
		}
	}
	return false
}
