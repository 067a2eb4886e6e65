package mp

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// waitExited blocks until the child has exited, leaving it unreaped.
func waitExited(pid int) {
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if err != syscall.EINTR {
			return
		}
	}
}

// cloexecSocketpair returns a connected pair of unix stream sockets, both
// close-on-exec from birth.
func cloexecSocketpair() ([2]int, error) {
	return syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
}

// seqpacketPair returns a connected pair of unix SOCK_SEQPACKET sockets,
// close-on-exec.
func seqpacketPair() ([2]int, error) {
	return syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_SEQPACKET|syscall.SOCK_CLOEXEC, 0)
}
