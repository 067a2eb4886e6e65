//go:build unix && !linux

package shm

import (
	"sync/atomic"
	"time"
)

// pollInterval bounds how long futexWait sleeps between looks at the word
// where there is no futex: waking is by polling, so wakeups arrive late.
const pollInterval = 200 * time.Microsecond

// futexWait sleeps while *addr == val, for at most d (forever if d < 0),
// looking at the word every pollInterval. It may return early; callers
// re-check their state. Polling never misses a change, so it never reports
// alone: no wakeup can be lost here.
func futexWait(addr *uint32, val uint32, d time.Duration) (alone bool) {
	if atomic.LoadUint32(addr) != val {
		return false
	}
	if d < 0 || d > pollInterval {
		d = pollInterval
	}
	time.Sleep(d)
	return false
}

// futexWake does nothing: sleepers find out by polling.
func futexWake(addr *uint32, n int) {}
