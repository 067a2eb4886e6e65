package grade

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// maxOutput bounds what one run keeps of its output; the rest is drained and dropped.
const maxOutput = 1 << 20

// Run is what one execution of the program under test did.
type Run struct {
	Index     int           // 0-based repetition number
	Seed      uint64        // the MP_PERTURB value it ran with
	Dir       string        // its own copy of the script's work directory
	Trace     string        // the MP_TRACE file path
	Lines     []Line        // stdout and stderr lines in arrival order
	Code      int           // exit code; -N for death by signal N
	TimedOut  bool          // killed at the timeout
	Truncated bool          // output beyond maxOutput was dropped
	Strays    int           // descendants still alive after the main process exited (then killed)
	StartMono int64         // CLOCK_MONOTONIC at start
	EndMono   int64         // CLOCK_MONOTONIC when the main process exited
	Elapsed   time.Duration // wall-clock time until the main process exited
	Err       error         // the program could not be started
	// Tail holds the last lines printed before a timeout signal was sent.
	Tail []Line
}

func monoNow() int64 {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return ts.Nano()
}

var subreaper sync.Once

// becomeSubreaper makes orphaned descendants of runs children of this
// process, so that they can be found and reaped after their group is killed.
func becomeSubreaper() {
	subreaper.Do(setSubreaper)
}

// collector gathers the lines of both pipes in arrival order, up to maxOutput bytes.
type collector struct {
	mu        sync.Mutex
	lines     []Line
	partial   [3]bytes.Buffer
	size      int
	truncated bool
}

func (c *collector) add(s Stream, p []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(p) > 0 {
		if c.size >= maxOutput {
			c.truncated = true
			return
		}
		p = p[:min(len(p), maxOutput-c.size)]
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			c.partial[s].Write(p)
			c.size += len(p)
			return
		}
		c.partial[s].Write(p[:i])
		c.size += i + 1
		c.flush(s)
		p = p[i+1:]
	}
}

func (c *collector) flush(s Stream) {
	c.lines = append(c.lines, Line{N: len(c.lines) + 1, Stream: s, Text: strings.TrimSuffix(c.partial[s].String(), "\r")})
	c.partial[s].Reset()
}

func (c *collector) snapshot() []Line {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Line(nil), c.lines...)
}

func (c *collector) read(s Stream, f *os.File, done *sync.WaitGroup) {
	defer done.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := f.Read(buf)
		c.add(s, buf[:n])
		if err != nil {
			c.mu.Lock()
			if c.partial[s].Len() > 0 {
				c.flush(s)
			}
			c.mu.Unlock()
			return
		}
	}
}

// runSpec says how to execute the program once.
type runSpec struct {
	argv    []string
	dir     string
	env     []string
	timeout time.Duration   // wall clock for the whole run
	grace   time.Duration   // how long to wait for descendants after the main process exits
	stop    <-chan struct{} // if not nil, closing it stops the program with SIGTERM, then SIGKILL
	started chan<- int      // if not nil, receives the process id once started
}

// signalGap is the pause between SIGQUIT, SIGTERM and SIGKILL at a timeout.
const signalGap = 300 * time.Millisecond

// execute runs the program in its own process group and always leaves no
// process of that group behind.
func execute(spec runSpec) Run {
	becomeSubreaper()
	r := Run{Dir: spec.dir}
	cmd := exec.Command(spec.argv[0], spec.argv[1:]...)
	cmd.Dir = spec.dir
	cmd.Env = spec.env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	outR, outW, err := os.Pipe()
	if err != nil {
		r.Err = err
		return r
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		r.Err = err
		return r
	}
	cmd.Stdout, cmd.Stderr = outW, errW
	r.StartMono = monoNow()
	start := time.Now()
	err = cmd.Start()
	outW.Close()
	errW.Close()
	if err != nil {
		outR.Close()
		errR.Close()
		r.Err = err
		return r
	}
	pgid := cmd.Process.Pid
	if spec.started != nil {
		spec.started <- pgid
	}
	var c collector
	var readers sync.WaitGroup
	readers.Add(2)
	go c.read(Stdout, outR, &readers)
	go c.read(Stderr, errR, &readers)
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()

	timer := time.NewTimer(spec.timeout)
	select {
	case <-exited:
		timer.Stop()
	case <-spec.stop:
		timer.Stop()
		signalGroup(pgid, exited, syscall.SIGTERM, syscall.SIGKILL)
	case <-timer.C:
		r.TimedOut = true
		r.Tail = c.snapshot()
		signalGroup(pgid, exited, syscall.SIGQUIT, syscall.SIGTERM, syscall.SIGKILL)
	}
	r.EndMono = monoNow()
	r.Elapsed = time.Since(start)

	// The main process is gone. Give descendants a short grace to finish
	// and close the pipes, then kill whatever is left of the group.
	pipesDone := make(chan struct{})
	go func() { readers.Wait(); close(pipesDone) }()
	deadline := time.Now().Add(spec.grace)
wait:
	for time.Now().Before(deadline) {
		select {
		case <-pipesDone:
			if len(groupMembers(pgid, true)) == 0 {
				break wait
			}
			time.Sleep(5 * time.Millisecond)
		case <-time.After(5 * time.Millisecond):
		}
	}
	if !r.TimedOut {
		r.Strays = len(groupMembers(pgid, true))
	}
	syscall.Kill(-pgid, syscall.SIGKILL)
	outR.Close()
	errR.Close()
	<-pipesDone
	reap(pgid)

	r.Lines = c.lines
	r.Truncated = c.truncated
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		r.Code = -int(ws.Signal())
	} else {
		r.Code = cmd.ProcessState.ExitCode()
	}
	return r
}

// signalGroup sends each signal in turn to the group until the main process
// has exited, pausing signalGap between them.
func signalGroup(pgid int, exited <-chan struct{}, sigs ...syscall.Signal) {
	for _, sig := range sigs {
		syscall.Kill(-pgid, sig)
		select {
		case <-exited:
			return
		case <-time.After(signalGap):
		}
	}
	<-exited
}

// groupMembers lists the processes of group pgid, found in /proc; with
// liveOnly, zombies are left out.
func groupMembers(pgid int, liveOnly bool) []procStat {
	if err := syscall.Kill(-pgid, 0); errors.Is(err, syscall.ESRCH) {
		return nil
	}
	entries, _ := os.ReadDir("/proc")
	var out []procStat
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, ok := readStat(pid)
		if ok && st.pgrp == pgid && !(liveOnly && st.state == 'Z') {
			out = append(out, st)
		}
	}
	return out
}

type procStat struct {
	pid, ppid, pgrp int
	state           byte
}

func readStat(pid int) (procStat, bool) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return procStat{}, false
	}
	// pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 3 {
		return procStat{}, false
	}
	st := procStat{pid: pid, state: f[0][0]}
	st.ppid, _ = strconv.Atoi(f[1])
	st.pgrp, _ = strconv.Atoi(f[2])
	return st, true
}

// reap waits for the killed group to vanish, reaping the members that were
// reparented to this process, for at most two seconds.
func reap(pgid int) {
	self := os.Getpid()
	for end := time.Now().Add(2 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		members := groupMembers(pgid, false)
		pending := false
		for _, m := range members {
			switch {
			case m.ppid == self:
				var ws syscall.WaitStatus
				syscall.Wait4(m.pid, &ws, syscall.WNOHANG, nil)
				pending = true
			case m.state != 'Z':
				pending = true
			}
		}
		if !pending {
			return
		}
	}
}

// splitCommand splits a -cmd value into words as a shell would for simple
// quoting: spaces separate words, and '...' or "..." group them.
func splitCommand(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("grade: unterminated %c quote in -cmd %q", quote, s)
	}
	if inWord {
		words = append(words, cur.String())
	}
	if len(words) == 0 {
		return nil, fmt.Errorf("grade: -cmd is empty")
	}
	return words, nil
}
