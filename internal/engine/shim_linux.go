package engine

import (
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// signalGap is the pause between SIGQUIT, SIGTERM and SIGKILL.
const signalGap = 300 * time.Millisecond

func shim(cfg shimConfig) int {
	// The pipes to the grader must not reach the program: it could read the
	// grader's commands or forge the shim's report.
	syscall.CloseOnExec(3)
	syscall.CloseOnExec(4)
	ctl := os.NewFile(3, "grade-control")
	status := os.NewFile(4, "grade-status")
	enc := json.NewEncoder(status)
	send := func(s shimStatus) { _ = enc.Encode(s) }

	_ = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
	// The grader handles Ctrl-C and termination for the whole run; the shim
	// only obeys the grader, or cleans up when the grader is gone. The
	// signals are caught and dropped, not ignored: an ignored signal stays
	// ignored across exec, and the program must keep SIGTERM's default.
	signal.Notify(make(chan os.Signal, 8), syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)

	cg := limitMemory(cfg)
	if cfg.CPU > 0 {
		s := uint64((cfg.CPU + time.Second - 1) / time.Second)
		_ = unix.Setrlimit(unix.RLIMIT_CPU, &unix.Rlimit{Cur: s, Max: s + 1})
	}
	memNote := "none"
	switch {
	case cg != "":
		memNote = "cgroup"
	case cfg.Mem > 0 && !cfg.Race:
		memNote = "rlimit"
	}

	devNull, err := os.Open(os.DevNull)
	if err != nil {
		send(shimStatus{Error: err.Error(), Done: true})
		return 0
	}
	pid, err := syscall.ForkExec(cfg.Argv[0], cfg.Argv, &syscall.ProcAttr{
		Dir:   cfg.Dir,
		Env:   cfg.Env,
		Files: []uintptr{devNull.Fd(), 1, 2},
		Sys:   &syscall.SysProcAttr{Setpgid: true},
	})
	devNull.Close()
	if err != nil {
		send(shimStatus{Error: err.Error(), Done: true})
		return 0
	}
	if cg != "" {
		// The child was forked with the usual score; the shim itself must
		// never be the one the cgroup's OOM killer picks.
		_ = os.WriteFile("/proc/self/oom_score_adj", []byte("-1000"), 0)
	}
	send(shimStatus{Started: pid, Memory: memNote})

	exited := make(chan exitState, 1)
	go func() {
		var ws unix.WaitStatus
		var ru unix.Rusage
		for {
			_, err := unix.Wait4(pid, &ws, 0, &ru)
			if err != unix.EINTR {
				break
			}
		}
		st := exitState{Code: ws.ExitStatus(), CPU: ru.Utime.Nano() + ru.Stime.Nano(), MaxRSS: ru.Maxrss}
		if ws.Signaled() {
			st.Signal = int(ws.Signal())
			st.Code = -st.Signal
		}
		exited <- st
	}()
	cmds := make(chan byte, 4)
	var graderGone atomic.Bool
	go func() {
		var b [1]byte
		for {
			if _, err := ctl.Read(b[:]); err != nil {
				graderGone.Store(true)
				cmds <- shimKill
				close(cmds)
				return
			}
			cmds <- b[0]
		}
	}()

	escalate := func(sigs ...syscall.Signal) {
		go func() {
			for i, s := range sigs {
				_ = syscall.Kill(-pid, s)
				if i < len(sigs)-1 {
					time.Sleep(signalGap)
				}
			}
		}()
	}
	var st exitState
	killed := false
wait:
	for {
		select {
		case st = <-exited:
			break wait
		case c, ok := <-cmds:
			if !ok {
				cmds = nil
				continue
			}
			switch c {
			case shimTimeout:
				send(shimStatus{Alive: descendants(os.Getpid(), pid)})
				escalate(syscall.SIGQUIT, syscall.SIGTERM, syscall.SIGKILL)
			case shimStop:
				escalate(syscall.SIGTERM, syscall.SIGKILL)
			default:
				killed = true
				killTree(pid)
			}
		}
	}
	send(shimStatus{Exited: &st})

	// Descendants get a grace to end by themselves (daemons notice that
	// their parent is gone); whatever is still alive after it is a stray.
	deadline := time.Now().Add(cfg.Grace)
	for !killed && time.Now().Before(deadline) {
		reapAll()
		if len(descendants(os.Getpid(), pid)) == 0 {
			break
		}
		select {
		case c, ok := <-cmds:
			if !ok || c == shimKill {
				killed = true
			}
		case <-time.After(5 * time.Millisecond):
		}
	}
	var strays []Proc
	if !killed {
		strays = descendants(os.Getpid(), pid)
	}
	killTree(pid)
	oom := cgroupOOM(cg)
	removeCgroup(cg)
	send(shimStatus{Strays: strays, OOM: oom, Done: true})
	if graderGone.Load() && cfg.Work != "" {
		// Nobody else is left to clean up after the run.
		_ = os.RemoveAll(cfg.Work)
	}
	return 0
}

// killTree kills the group and every process below the shim, over and
// over, until none is left (a fork bomb gets at most a few seconds).
func killTree(pgid int) {
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); {
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		ds := descendants(os.Getpid(), pgid)
		for _, p := range ds {
			_ = syscall.Kill(p.Pid, syscall.SIGKILL)
		}
		reapAll()
		if len(ds) == 0 {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// reapAll reaps every child that has exited.
func reapAll() {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}

// limitMemory puts the shim, and so the whole run, in a memory cgroup of
// its own where the machine lets it make one, and returns its path; else
// it limits each process with RLIMIT_DATA (not for race builds, whose
// shadow memory is huge) and returns "".
func limitMemory(cfg shimConfig) string {
	if cfg.Mem <= 0 {
		return ""
	}
	base := "/sys/fs/cgroup/memory"
	if st, err := os.Stat(base); err == nil && st.IsDir() {
		dir := filepath.Join(base, fmt.Sprintf("forklore-%d", os.Getpid()))
		if os.Mkdir(dir, 0o755) == nil {
			lim := strconv.FormatInt(cfg.Mem, 10)
			if os.WriteFile(filepath.Join(dir, "memory.limit_in_bytes"), []byte(lim), 0) == nil &&
				os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(os.Getpid())), 0) == nil {
				return dir
			}
			os.Remove(dir)
		}
	}
	if !cfg.Race {
		_ = unix.Setrlimit(unix.RLIMIT_DATA, &unix.Rlimit{Cur: uint64(cfg.Mem), Max: uint64(cfg.Mem)})
	}
	return ""
}

func cgroupOOM(dir string) bool {
	if dir == "" {
		return false
	}
	b, err := os.ReadFile(filepath.Join(dir, "memory.failcnt"))
	if err != nil {
		return false
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n > 0
}

func removeCgroup(dir string) {
	if dir == "" {
		return
	}
	// Leave it first: a cgroup with a process in it cannot be removed.
	_ = os.WriteFile(filepath.Join(filepath.Dir(dir), "cgroup.procs"), []byte(strconv.Itoa(os.Getpid())), 0)
	_ = os.Remove(dir)
}
