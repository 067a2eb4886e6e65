//go:build unix && !linux

package shm

import "golang.org/x/sys/unix"

// processDead reports whether process pid has exited. A zombie (a child
// that exited but was not waited for) still counts as alive here.
func processDead(pid int) bool {
	return pid > 0 && unix.Kill(pid, 0) == unix.ESRCH
}
