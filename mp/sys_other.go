//go:build unix && !linux

package mp

import "syscall"

// waitExited is a no-op where waitid is not available: reapExitCode then
// waits, and a signal sent in the instant between reaping and marking the
// process done could reach a reused pid.
func waitExited(pid int) {}

// cloexecSocketpair returns a connected pair of unix stream sockets, marked
// close-on-exec under ForkLock so that no concurrent exec inherits them.
func cloexecSocketpair() ([2]int, error) {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err == nil {
		syscall.CloseOnExec(fds[0])
		syscall.CloseOnExec(fds[1])
	}
	return fds, err
}

// seqpacketPair returns a connected pair of unix SOCK_SEQPACKET sockets,
// close-on-exec, where the system has them.
func seqpacketPair() ([2]int, error) {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_SEQPACKET, 0)
	if err == nil {
		syscall.CloseOnExec(fds[0])
		syscall.CloseOnExec(fds[1])
	}
	return fds, err
}
