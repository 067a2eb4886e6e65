//go:build unix

package mp

import (
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Starting a child: the program executes itself again, with the
// descriptors and the bootstrap message that bootstrap.go describes. The
// parent keeps its end of the socketpair open without writing more, so
// the child sees EOF exactly when the parent has ended. That works however
// the parent ends, unlike Pdeathsig, which fires when the OS thread that
// started the child exits (golang/go#27505).
//
// Descriptors are passed as raw numbers with syscall.ForkExec rather than
// through os/exec: os.File.Fd and exec.Cmd.ExtraFiles switch a file
// description to blocking mode, and a socket's description is shared with
// the parent's own net.Conn.

var spawnInit struct {
	once    sync.Once
	exe     string
	devNull int
	err     error
}

func initSpawn() error {
	spawnInit.once.Do(func() {
		spawnInit.exe = "/proc/self/exe"
		if _, err := os.Stat(spawnInit.exe); err != nil {
			spawnInit.exe, spawnInit.err = os.Executable()
			if spawnInit.err != nil {
				return
			}
		}
		spawnInit.devNull, spawnInit.err = syscall.Open(os.DevNull, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	})
	return spawnInit.err
}

// spawn starts a child and sends it msg, its bootstrap message. It returns
// the child's pid and the parent's end of the bootstrap socket.
func spawn(msg []byte, files []int) (int, *os.File, error) {
	if err := initSpawn(); err != nil {
		return 0, nil, err
	}
	fds, err := cloexecSocketpair()
	if err != nil {
		return 0, nil, fmt.Errorf("socketpair: %w", err)
	}
	stdout := dupOrNull(os.Stdout)
	stderr := dupOrNull(os.Stderr)
	attr := &syscall.ProcAttr{
		Env:   append(os.Environ(), childEnv+"="+fmt.Sprint(bootstrapFD)),
		Files: make([]uintptr, 0, 4+len(files)),
	}
	attr.Files = append(attr.Files, uintptr(spawnInit.devNull), uintptr(stdout), uintptr(stderr), uintptr(fds[1]))
	for _, fd := range files {
		attr.Files = append(attr.Files, uintptr(fd))
	}
	pid, err := syscall.ForkExec(spawnInit.exe, os.Args, attr)
	syscall.Close(fds[1])
	closeUnlessNull(stdout)
	closeUnlessNull(stderr)
	if err != nil {
		syscall.Close(fds[0])
		return 0, nil, err
	}
	_ = syscall.SetNonblock(fds[0], true)
	sock := os.NewFile(uintptr(fds[0]), "mp-child")
	// A write error means the child died before reading: reap records how.
	_, _ = sock.Write(msg)
	return pid, sock, nil
}

func dupOrNull(f *os.File) int {
	if f != nil {
		if fd, err := dupForChild(f); err == nil {
			return fd
		}
	}
	return spawnInit.devNull
}

func closeUnlessNull(fd int) {
	if fd != spawnInit.devNull {
		syscall.Close(fd)
	}
}

// dupForChild duplicates c's descriptor, close-on-exec, without changing its
// blocking mode.
func dupForChild(c syscall.Conn) (int, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return -1, err
	}
	nfd := -1
	var derr error
	if err := rc.Control(func(fd uintptr) {
		nfd, derr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		return -1, err
	}
	return nfd, derr
}

func setCloexec(fd int) { syscall.CloseOnExec(fd) }

// adoptInherited checks that the n descriptors from first on are open, and
// marks them close-on-exec so that they do not leak into grandchildren
// they were not passed to.
func adoptInherited(first, n int) ([]int, error) {
	if n == 0 {
		return nil, nil
	}
	files := make([]int, n)
	for i := range files {
		fd := first + i
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC); err != nil {
			return nil, fmt.Errorf("it names %d inherited descriptors, but descriptor %d is not open: %v", n, fd, err)
		}
		files[i] = fd
	}
	return files, nil
}

// reapExitCode reaps an exited child and returns Python's exit code for it.
func reapExitCode(pid int) int {
	var ws syscall.WaitStatus
	for {
		_, err := syscall.Wait4(pid, &ws, 0, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return -1 // someone else reaped it (SIGCHLD ignored?)
		}
		break
	}
	switch {
	case ws.Exited():
		return ws.ExitStatus()
	case ws.Signaled():
		return -int(ws.Signal())
	}
	return -1
}

// parentAlive reports whether the parent still holds its end of the
// bootstrap socket. It never writes on it after the bootstrap, so a
// readable socket means EOF: the parent is gone, however it ended.
func parentAlive() bool {
	if self.parentGone.Load() {
		return false
	}
	fds := []unix.PollFd{{Fd: bootstrapFD, Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(fds, 0)
		if err == unix.EINTR {
			continue
		}
		if n > 0 && fds[0].Revents&(unix.POLLIN|unix.POLLHUP|unix.POLLERR) != 0 {
			self.parentGone.Store(true)
			return false
		}
		return true
	}
}

// terminateSelf ends a daemon whose parent is gone, as its parent would
// have: SIGTERM, and SIGKILL if that was caught and the process lingers.
func terminateSelf() {
	_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
	time.Sleep(time.Second)
	_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
}

func signalName(sig syscall.Signal) string { return unix.SignalName(sig) }
