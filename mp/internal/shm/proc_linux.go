package shm

import (
	"bufio"
	"bytes"
	"fmt"
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

// deadUser reports whether process pid has exited, or lives without r
// mapped: the pid of a dead process that the system has given to a new one
// (pids wrap around at /proc/sys/kernel/pid_max, 32768 on many systems).
// With r nil it is processDead. It reads /proc/PID/maps, so it is for the
// slow paths only.
func deadUser(pid int, r *Region) bool {
	if processDead(pid) {
		return true
	}
	if r == nil || r.ino == 0 {
		return false
	}
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/maps")
	if err != nil {
		// Gone since, or not ours to read: another user's process, which
		// cannot have inherited r.
		return true
	}
	defer f.Close()
	// A line is "start-end perms offset major:minor inode path", the
	// device in hex, the inode in decimal.
	want := fmt.Sprintf(" %02x:%02x %d ", unix.Major(r.dev), unix.Minor(r.dev), r.ino)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if bytes.Contains(sc.Bytes(), []byte(want)) {
			return false
		}
	}
	if sc.Err() != nil {
		return false // could not tell: take it for alive
	}
	return true
}
