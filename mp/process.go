package mp

import (
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/forklore/forklore/internal/mptrace"
)

// role tells what a Process value stands for.
type role int

const (
	roleChild   role = iota // made by NewProcess: this process may start, join and signal it
	roleCurrent             // returned by CurrentProcess
	roleParent              // returned by ParentProcess
)

// Process is a target that runs in a new OS process, like Python's
// multiprocessing.Process. Make one with NewProcess, set Name and Daemon if
// you like, then Start it and Join it.
//
// A Process is started at most once; it cannot be reused after it exits.
// The zero value is not a usable child (it has no target): use NewProcess.
// Its methods are safe to call from several goroutines.
type Process struct {
	// Name names the process in errors, traces and String. NewProcess sets
	// it to "Process-N", N counting the processes created in this process
	// from 1 (Python's rule; in a child, names become "Process-N:M").
	// The child sees it as CurrentProcess().Name. Changes after Start are
	// not seen by the child.
	Name string

	// Daemon marks a daemonic process. It is read at Start; false by default.
	// A daemon is terminated when its parent ends, and may not start
	// children of its own.
	Daemon bool

	role     role
	target   any
	args     []any
	identity []int

	mu      sync.Mutex
	started bool
	pid     int
	daemon  bool          // Daemon, as read at Start
	done    chan struct{} // closed once the child is reaped
	code    int           // exit code, valid once done is closed

	// What the last alive event said, and 1 + the count of the other
	// events this process had traced then (0: none written yet).
	aliveSaid  bool
	aliveAfter uint64
}

// NewProcess returns a process that will run target(args...) once started.
//
// The target is a top-level function registered with mp.Main, or a value
// whose type has a Run() method (then args must be empty: the value's
// exported fields carry the data, as attributes do on a Python Process
// subclass). Arguments cross to the child encoded, like Python's pickling
// under spawn: the child receives equal copies, and what it changes never
// reaches the parent. Files, network connections and mp's Lock, Queue and
// Conn cross as inherited descriptors and stay shared.
//
// NewProcess does not check the target; Start does, and returns the error.
func NewProcess(target any, args ...any) *Process {
	self.mu.Lock()
	self.counter++
	id := append(append([]int(nil), self.identity...), self.counter)
	self.mu.Unlock()
	return &Process{
		Name:     "Process-" + identityString(id),
		role:     roleChild,
		target:   target,
		args:     args,
		identity: id,
	}
}

// CurrentProcess returns the process that calls it: "MainProcess" in the
// main process, and in a child the Process its parent started, with the
// name the parent gave it. It cannot be started, joined or terminated.
func CurrentProcess() *Process {
	if self.current == nil {
		// mp.Main has not run: describe the main process all the same.
		return &Process{Name: "MainProcess", role: roleCurrent}
	}
	return self.current
}

// ParentProcess returns the process that started this one, or nil in the
// main process. Its IsAlive turns false once the parent has ended.
func ParentProcess() *Process {
	return self.parent
}

// ActiveChildren returns the children of this process that were started
// and have not yet been reaped, in the order they were started.
func ActiveChildren() []*Process {
	self.mu.Lock()
	defer self.mu.Unlock()
	return append([]*Process(nil), self.children...)
}

// Start runs the target in a new process and returns once it is started;
// the target runs concurrently with the caller.
//
// Starting takes a moment (the program is executed again), so lines that
// the caller prints right after Start usually come before the child's
// first line. Start fails if the process was started before, if this
// process is a daemon, or if the target cannot be run in a child: it was
// not registered with mp.Main, or an argument cannot be sent.
func (p *Process) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.role != roleChild {
		return &misuse{"mp: can only start a process object created by current process", ErrNotChild}
	}
	if p.started {
		return ErrStartedTwice
	}
	self.mu.Lock()
	mainCalled, daemon := self.mainCalled, self.daemon
	self.mu.Unlock()
	if daemon {
		return ErrDaemonChildren
	}
	if !mainCalled {
		return ErrNoMain
	}
	key, err := checkRegistered(p.target)
	if err != nil {
		return err
	}
	if err := checkResults(p.target); err != nil {
		return err
	}
	var files []int
	defer func() {
		for _, fd := range files {
			syscall.Close(fd)
		}
	}()
	e := &encoder{files: &files}
	b := bootstrap{
		Key:        key,
		Name:       p.Name,
		Identity:   p.identity,
		Daemon:     p.Daemon,
		ParentPid:  os.Getpid(),
		ParentName: CurrentProcess().Name,
		Authkey:    authkey(),
	}
	// The file count is only known after the arguments are encoded.
	if err := p.encodeArgs(e); err != nil {
		return err
	}
	b.NFiles = len(files)
	msg, err := b.encode(e.buf)
	if err != nil {
		return fmt.Errorf("%w (starting %s)", err, p.Name)
	}
	pause("start")
	pid, sock, err := spawn(msg, files)
	if err != nil {
		return fmt.Errorf("mp: cannot start %s: %w", p.Name, err)
	}
	p.started = true
	p.pid = pid
	rememberName(pid, p.Name) // for diagnostics about it once it is gone
	p.daemon = p.Daemon
	p.done = make(chan struct{})
	self.mu.Lock()
	self.children = append(self.children, p)
	self.mu.Unlock()
	if traceFile != nil {
		trace("start", "child="+strconv.Itoa(pid), "name="+p.Name, "daemon="+strconv.FormatBool(p.daemon))
	}
	go p.reap(sock)
	return nil
}

// encodeArgs appends the target's arguments, or the Run value's fields.
func (p *Process) encodeArgs(e *encoder) error {
	v := reflect.ValueOf(p.target)
	if v.Kind() != reflect.Func {
		if len(p.args) > 0 {
			return fmt.Errorf("mp: a %T target takes no arguments (got %d): set its exported fields instead", p.target, len(p.args))
		}
		if v.Kind() == reflect.Pointer && v.IsNil() {
			return fmt.Errorf("mp: the target is a nil %T", p.target)
		}
		return e.encodeValue(v)
	}
	vals, err := argsFor(v, p.args)
	if err != nil {
		return err
	}
	for i, a := range vals {
		if err := e.encodeValue(a); err != nil {
			return fmt.Errorf("%w (argument %d of %s)", err, i+1, funcName(v))
		}
	}
	return nil
}

// reap waits for the child to exit, records its exit code and removes it
// from the active children.
func (p *Process) reap(sock *os.File) {
	crashed := drainUntilEOF(sock)
	sock.Close()
	// Wait until the child can be reaped, without reaping it, so that the
	// pid stays reserved while Terminate and Kill may still signal it.
	waitExited(p.pid)
	p.mu.Lock()
	p.code = reapExitCode(p.pid)
	if crashed && p.code == 2 {
		p.code = 1 // a Go runtime crash; Python reports an uncaught exception as 1
	}
	// Everything that records the exit happens before done is closed: once
	// Join returns, the caller may exit, and ActiveChildren and the trace
	// must already agree that the child is gone.
	self.mu.Lock()
	for i, c := range self.children {
		if c == p {
			self.children = append(self.children[:i], self.children[i+1:]...)
			break
		}
	}
	self.mu.Unlock()
	if traceFile != nil {
		trace("exit", "child="+strconv.Itoa(p.pid), "code="+strconv.Itoa(p.code))
	}
	close(p.done)
	p.mu.Unlock()
}

// drainUntilEOF reads until the child has closed its end, which happens when
// it exits, and reports whether it wrote anything: only a crash report does.
// Its buffer is small, so that the goroutine of every child that exits
// normally needs no more than its first stack.
func drainUntilEOF(sock *os.File) bool {
	var buf [256]byte
	wrote := false
	for {
		n, err := sock.Read(buf[:])
		if n > 0 {
			wrote = true
		}
		if err != nil {
			return wrote
		}
	}
}

// Run runs the target in the calling process and returns its error, as
// Python's run() does: no new process, the same pid. Start is what runs the
// target in a child. Run does not need the target to be registered, and
// passes the arguments as they are, without copying them.
func (p *Process) Run() error {
	v := reflect.ValueOf(p.target)
	if p.target == nil {
		return fmt.Errorf("mp: %s has no target to run", p.Name)
	}
	if v.Kind() != reflect.Func {
		if _, err := targetKey(p.target); err != nil {
			return err
		}
		return call(v, nil)
	}
	if err := checkResults(p.target); err != nil {
		return err
	}
	vals, err := argsFor(v, p.args)
	if err != nil {
		return err
	}
	return call(v, vals)
}

// Join waits until the process exits. It returns an error only for misuse:
// joining a process that was never started, or one that is not a child of
// the caller. The exit code is reported by ExitCode.
func (p *Process) Join() error {
	done, err := p.joinable()
	if err != nil {
		return err
	}
	if traceFile != nil && !isClosed(done) {
		traceBlock("Join", "child="+strconv.Itoa(p.pid), noTimeout)
	}
	<-done
	p.traceJoin("none", true)
	return nil
}

// JoinTimeout waits at most d for the process to exit and reports whether
// it has. With d <= 0 it returns at once, as Python's join(0) does.
func (p *Process) JoinTimeout(d time.Duration) (exited bool, err error) {
	done, err := p.joinable()
	if err != nil {
		return false, err
	}
	if d <= 0 {
		exited = isClosed(done)
	} else {
		if traceFile != nil && !isClosed(done) {
			traceBlock("Join", "child="+strconv.Itoa(p.pid), d)
		}
		t := time.NewTimer(d)
		select {
		case <-done:
			exited = true
		case <-t.C:
		}
		t.Stop()
	}
	p.traceJoin(strconv.FormatInt(max(d, 0).Milliseconds(), 10), exited)
	return exited, nil
}

// traceJoin records a Join (timeout "none") or JoinTimeout that returned,
// so that the grader can tell a join from a sleep.
func (p *Process) traceJoin(timeout string, exited bool) {
	if traceFile != nil {
		trace("join", "child="+strconv.Itoa(p.pid), "timeout="+timeout, "exited="+strconv.FormatBool(exited))
	}
}

func (p *Process) joinable() (chan struct{}, error) {
	if p.role != roleChild {
		return nil, ErrNotChild
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.started {
		return nil, ErrNotStarted
	}
	return p.done, nil
}

// Terminate asks the process to end by sending it SIGTERM, as Python's
// terminate() does. It returns at once, so IsAlive may still report true
// right after it: Join to wait. A terminated process gets no chance to clean
// up: deferred calls do not run, a Lock it holds stays locked forever, and
// its own children are left behind. Terminating a process that already
// exited does nothing.
func (p *Process) Terminate() error { return p.signal(syscall.SIGTERM, "terminate") }

// Kill ends the process with SIGKILL, which it cannot catch or ignore.
// Otherwise it is like Terminate.
func (p *Process) Kill() error { return p.signal(syscall.SIGKILL, "kill") }

func (p *Process) signal(sig syscall.Signal, verb string) error {
	if p.role != roleChild {
		return &misuse{"mp: can only " + verb + " a child process", ErrNotChild}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.started {
		return &misuse{"mp: can only " + verb + " a started process", ErrNotStarted}
	}
	select {
	case <-p.done:
		return nil
	default:
	}
	// The child is not reaped while p.mu is held, so its pid is not reused.
	if traceFile != nil {
		trace(verb, "child="+strconv.Itoa(p.pid))
	}
	if err := syscall.Kill(p.pid, sig); err != nil && err != syscall.ESRCH {
		return fmt.Errorf("mp: cannot %s %s: %w", verb, p.Name, err)
	}
	return nil
}

// IsAlive reports whether the process is running: false before Start and
// once it has exited. For ParentProcess it turns false when the parent has
// ended; CurrentProcess is always alive.
func (p *Process) IsAlive() bool {
	switch p.role {
	case roleCurrent:
		return true
	case roleParent:
		return parentAlive()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.started {
		return false
	}
	alive := true
	select {
	case <-p.done:
		alive = false
	default:
	}
	if traceFile != nil {
		p.traceAlive(alive)
	}
	return alive
}

// traceAlive writes the alive event of an answer of IsAlive about a child,
// so that a rule can tell that the program asked after Terminate, not
// before. A loop that polls IsAlive writes one event for each change of
// answer, or after another event of this process: not one per call.
func (p *Process) traceAlive(alive bool) {
	n := tracedEvents.Load() + 1 // never 0
	if p.aliveAfter == n && p.aliveSaid == alive {
		return
	}
	trace(mptrace.Alive, "child="+strconv.Itoa(p.pid), "alive="+strconv.FormatBool(alive))
	p.aliveSaid, p.aliveAfter = alive, n
}

// Pid returns the process id: 0 before Start.
func (p *Process) Pid() int {
	switch p.role {
	case roleCurrent:
		return os.Getpid()
	case roleParent:
		return p.pid
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pid
}

// ExitCode returns the exit code once the process has exited, as Python's
// exitcode: 0 when the target returned, n after os.Exit(n), 1 after a panic
// or an error returned by the target, and -N after death by signal N
// (-15 after Terminate, -9 after Kill). exited is false before Start and
// while the process runs.
func (p *Process) ExitCode() (code int, exited bool) {
	if p.role != roleChild {
		return 0, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.started {
		return 0, false
	}
	select {
	case <-p.done:
		return p.code, true
	default:
		return 0, false
	}
}

// Authkey returns the process's authentication key: 32 random bytes made in
// the main process and inherited by every child.
func (p *Process) Authkey() []byte {
	return append([]byte(nil), authkey()...)
}

// String describes the process as Python's repr does, e.g.
// <Process name='Process-1' pid=4242 parent=4200 stopped exitcode=-SIGTERM>.
func (p *Process) String() string {
	var b strings.Builder
	switch p.role {
	case roleCurrent:
		if self.isChild {
			fmt.Fprintf(&b, "<Process name=%s parent=%d started", pyQuote(p.Name), self.ppid)
		} else {
			fmt.Fprintf(&b, "<_MainProcess name=%s parent=None started", pyQuote(p.Name))
		}
	case roleParent:
		fmt.Fprintf(&b, "<_ParentProcess name=%s parent=None unknown", pyQuote(p.Name))
	default:
		p.mu.Lock()
		fmt.Fprintf(&b, "<Process name=%s", pyQuote(p.Name))
		if p.started {
			fmt.Fprintf(&b, " pid=%d", p.pid)
		}
		fmt.Fprintf(&b, " parent=%d", os.Getpid())
		switch {
		case !p.started:
			b.WriteString(" initial")
		case isClosed(p.done):
			fmt.Fprintf(&b, " stopped exitcode=%s", exitCodeName(p.code))
		default:
			b.WriteString(" started")
		}
		daemon := p.Daemon
		if p.started {
			daemon = p.daemon
		}
		p.mu.Unlock()
		if daemon {
			b.WriteString(" daemon")
		}
		b.WriteString(">")
		return b.String()
	}
	if p.role == roleCurrent && self.daemon {
		b.WriteString(" daemon")
	}
	b.WriteString(">")
	return b.String()
}

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// pyQuote quotes like Python's repr of a str, in single quotes.
func pyQuote(s string) string {
	q := strconv.Quote(s)
	if !strings.Contains(s, "'") {
		q = "'" + strings.ReplaceAll(q[1:len(q)-1], `\"`, `"`) + "'"
	}
	return q
}

// exitCodeName writes signal deaths as Python does: -SIGTERM.
func exitCodeName(code int) string {
	if code < 0 {
		if name := signalName(syscall.Signal(-code)); name != "" {
			return "-" + name
		}
	}
	return strconv.Itoa(code)
}
