package shm

import (
	"bytes"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// processDead reports whether process pid has exited. A child that exited
// but has not been waited for yet is a zombie, which kill(pid, 0) still
// finds; /proc tells it apart.
func processDead(pid int) bool {
	dead, _ := processState(pid)
	return dead
}

// processState reports whether process pid has exited (a zombie counts),
// and whether it is stopped (SIGSTOP, a debugger).
func processState(pid int) (dead, stopped bool) {
	if pid <= 0 {
		return false, false
	}
	if unix.Kill(pid, 0) == unix.ESRCH {
		return true, false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return os.IsNotExist(err), false
	}
	// The state follows the command name, which is in parentheses and may
	// itself contain ") ".
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 || i+2 >= len(stat) {
		return false, false
	}
	switch stat[i+2] {
	case 'Z', 'X':
		return true, false
	case 'T', 't':
		return false, true
	}
	return false, false
}

// ProcessDead reports whether process pid has exited, counting a zombie as
// dead: for packages built on this one that must tell a dead process from
// a slow one.
func ProcessDead(pid int) bool { return processDead(pid) }
