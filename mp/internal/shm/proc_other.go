//go:build unix && !linux

package shm

import "golang.org/x/sys/unix"

// processDead reports whether process pid has exited. A zombie (a child
// that exited but was not waited for) still counts as alive here.
func processDead(pid int) bool {
	return pid > 0 && unix.Kill(pid, 0) == unix.ESRCH
}

// ProcessDead reports whether process pid has exited: for packages built
// on this one that must tell a dead process from a slow one.
func ProcessDead(pid int) bool { return processDead(pid) }
