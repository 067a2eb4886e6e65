//go:build unix && !linux

package shm

import "golang.org/x/sys/unix"

// processDead reports whether process pid has exited. A zombie (a child
// that exited but was not waited for) still counts as alive here.
func processDead(pid int) bool {
	return pid > 0 && unix.Kill(pid, 0) == unix.ESRCH
}

// processState reports whether process pid has exited; a stopped process
// is not told apart here.
func processState(pid int) (dead, stopped bool) { return processDead(pid), false }

// deadUser reports whether process pid has exited. Without /proc, a pid
// given to a new process is not told apart.
func deadUser(pid int, r *Region) bool { return processDead(pid) }
