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

// ProcessDead reports whether process pid has exited: for packages built
// on this one that must tell a dead process from a slow one.
func ProcessDead(pid int) bool { return processDead(pid) }
