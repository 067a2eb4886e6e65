package engine

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/forklore/forklore/internal/i18n"
	"github.com/forklore/forklore/internal/mptrace"
)

// Run is what one execution of the program did.
type Run struct {
	Index     int    // 0-based
	Seed      uint64 // its MP_PERTURB
	Dir       string // its own copy of the files the rules give
	Lines     []Line // standard output and error, in arrival order
	Truncated bool   // output past maxOutput was dropped, or a line past maxLine
	Code      int    // exit code; -N for death by signal N
	TimedOut  bool
	Limit     time.Duration // its time limit
	Alive     []Proc        // at a timeout, the processes still running
	Tail      []Line        // the lines printed before a timeout's signals
	Strays    []Proc        // processes that outlived the main process
	Events    []mptrace.Event
	TraceErr  string // the trace was tampered with, and how
	Start     int64  // CLOCK_MONOTONIC at start
	End       int64  // and when the main process ended
	CPU       time.Duration
	OOM       bool   // the memory limit was hit
	ShimDied  string // the program killed the process between it and the grader
	Conns     []Conn // for serve: what each client saw
	Held      int    // for serve: client connections the server's main process kept (-1: not measured)
	HeldAll   int    // for serve: client connections all the server's processes kept (-1: not measured)
	Err       error  // the program could not be started
}

// runSpec says how to execute the program once.
type runSpec struct {
	argv    []string
	dir     string
	env     []string
	id      string // the run's marker, put in every process's environment
	trace   string // the trace FIFO's path
	work    string // the grading's temporary folder
	limit   time.Duration
	grace   time.Duration
	mem     int64
	cpu     time.Duration
	race    bool
	stop    <-chan struct{} // closing it stops a server
	started chan<- int      // receives the program's pid
}

var shimExe = sync.OnceValues(func() (string, error) {
	if _, err := os.Stat("/proc/self/exe"); err == nil {
		return os.Readlink("/proc/self/exe")
	}
	return os.Executable()
})

// execute runs the program once, through a shim, and always leaves no
// process of it behind. ctx cancelled kills the run at once.
func execute(ctx context.Context, spec runSpec) *Run {
	becomeSubreaper()
	r := &Run{Dir: spec.dir, Limit: spec.limit}
	exe, err := shimExe()
	if err != nil {
		r.Err = err
		return r
	}
	var trace *traceReader
	if spec.trace != "" {
		if trace, err = openTrace(spec.trace); err != nil {
			r.Err = err
			return r
		}
		defer trace.close()
	}
	cfg, _ := json.Marshal(shimConfig{Argv: spec.argv, Dir: spec.dir, Env: spec.env, Mem: spec.mem, CPU: spec.cpu, Race: spec.race, Grace: spec.grace, Work: spec.work})
	var pipes [4][2]*os.File // stdout, stderr, control, status: read and write ends
	for i := range pipes {
		if pipes[i][0], pipes[i][1], err = os.Pipe(); err != nil {
			r.Err = err
			return r
		}
		defer pipes[i][0].Close()
		defer pipes[i][1].Close()
	}
	ctl := pipes[2][1]
	cmd := exec.CommandContext(ctx, exe)
	// Cancelling grading (Ctrl-C) kills the run through its shim, which
	// then reports and exits as usual.
	cmd.Cancel = func() error {
		_, err := ctl.Write([]byte{shimKill})
		return err
	}
	cmd.Env = append(os.Environ(), shimEnv+"="+string(cfg))
	// Not the course: a program that looks up its parent's folder
	// (/proc/$PPID/cwd) finds nothing of the grader's there.
	cmd.Dir = "/"
	cmd.Stdout, cmd.Stderr = pipes[0][1], pipes[1][1]
	cmd.ExtraFiles = []*os.File{pipes[2][0], pipes[3][1]}
	// The shim ends the run and exits by itself; this is the last resort
	// if it cannot.
	cmd.WaitDelay = 10 * time.Second
	r.Start = monoNow()
	if err := cmd.Start(); err != nil {
		r.Err = fmt.Errorf("cannot start the grader's shim: %w", err)
		return r
	}
	for _, f := range []*os.File{pipes[0][1], pipes[1][1], pipes[2][0], pipes[3][1]} {
		f.Close()
	}
	var c collector
	var readers sync.WaitGroup
	readers.Add(2)
	go c.read(Stdout, pipes[0][0], &readers)
	go c.read(Stderr, pipes[1][0], &readers)
	statuses := make(chan shimStatus, 8)
	go func() {
		defer close(statuses)
		dec := json.NewDecoder(pipes[3][0])
		for {
			var st shimStatus
			if dec.Decode(&st) != nil {
				return
			}
			statuses <- st
		}
	}()

	timer := time.NewTimer(spec.limit)
	defer timer.Stop()
	stop := spec.stop
	pgid, finished := 0, false
loop:
	for {
		select {
		case st, ok := <-statuses:
			if !ok {
				break loop
			}
			switch {
			case st.Error != "":
				r.Err = errors.New(st.Error)
			case st.Started > 0:
				pgid = st.Started
				if spec.started != nil {
					spec.started <- pgid
				}
			case st.Alive != nil:
				r.Alive = st.Alive
			case st.Exited != nil:
				r.End = monoNow()
				r.Code = st.Exited.Code
				r.CPU = time.Duration(st.Exited.CPU)
				timer.Stop()
			}
			if st.Strays != nil {
				r.Strays = st.Strays
			}
			r.OOM = r.OOM || st.OOM
			if st.Done {
				finished = true
			}
		case <-timer.C:
			r.TimedOut = true
			r.Tail = c.snapshot()
			ctl.Write([]byte{shimTimeout})
		case <-stop:
			stop = nil
			ctl.Write([]byte{shimStop})
		}
	}
	_ = cmd.Wait()
	if !finished {
		// The shim was killed, most likely by the program (kill $PPID):
		// its processes are now this process's, and they go the same way.
		r.ShimDied = describeExit(cmd.ProcessState)
		if r.End == 0 {
			r.End = monoNow()
			r.Code = -int(syscall.SIGKILL)
		}
		r.Strays = append(r.Strays, sweep(spec.id, pgid)...)
	}
	readers.Wait()
	r.Lines, r.Truncated = c.lines, c.truncated || c.cutLines > 0
	if trace != nil {
		r.Events, r.TraceErr = trace.finish()
	}
	return r
}

func describeExit(ps *os.ProcessState) string {
	if ps == nil {
		return "it vanished"
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return fmt.Sprintf("killed by signal %d (%v)", int(ws.Signal()), ws.Signal())
	}
	return fmt.Sprintf("it exited with code %d", ps.ExitCode())
}

// sweep kills and reaps what is left of a run whose shim died: the
// program's group, and every process marked with the run's id, which the
// subreaper made this process's children.
func sweep(id string, pgid int) []Proc {
	var found []Proc
	seen := map[int]bool{}
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); {
		if pgid > 0 {
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
		}
		n := 0
		for _, p := range allProcs() {
			if p.State == "Z" && p.PPid == os.Getpid() && (p.Pgid == pgid || environHas(p.Pid, runEnv+"="+id)) {
				var ws syscall.WaitStatus
				_, _ = syscall.Wait4(p.Pid, &ws, syscall.WNOHANG, nil)
				continue
			}
			if p.Pgid != pgid && !environHas(p.Pid, runEnv+"="+id) {
				continue
			}
			n++
			if !seen[p.Pid] {
				seen[p.Pid] = true
				found = append(found, p)
			}
			_ = syscall.Kill(p.Pid, syscall.SIGKILL)
			if p.PPid == os.Getpid() {
				var ws syscall.WaitStatus
				_, _ = syscall.Wait4(p.Pid, &ws, 0, nil)
			}
		}
		if n == 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	return found
}

// traceReader reads a run's trace FIFO while the run goes on, so that what
// the processes wrote cannot be taken back.
type traceReader struct {
	path  string
	f     *os.File
	ino   uint64
	lines chan []string
}

// maxEvents bounds the events kept from one run.
const maxEvents = 2_000_000

// endOfTrace is the line the grader writes after the run: every line mp
// wrote comes before it.
const endOfTrace = "\x00end\n"

func openTrace(path string) (*traceReader, error) {
	_ = os.Remove(path)
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		return nil, fmt.Errorf("cannot make the trace FIFO: %w", err)
	}
	// Read and write: reads block rather than end while no process has it
	// open, and the grader can write the end marker itself.
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("cannot open the trace FIFO: %w", err)
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		f.Close()
		return nil, err
	}
	t := &traceReader{path: path, f: f, ino: st.Ino, lines: make(chan []string, 1)}
	go t.read()
	return t, nil
}

func (t *traceReader) read() {
	var lines []string
	rd := bufio.NewReaderSize(t.f, mptrace.MaxLine+1)
	for {
		l, err := rd.ReadSlice('\n')
		if string(l) == endOfTrace || err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			break
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			// Longer than mp ever writes: keep its start, drop the rest.
			lines = append(lines, string(l[:80])+"…")
			for errors.Is(err, bufio.ErrBufferFull) {
				l, err = rd.ReadSlice('\n')
			}
			if string(l) == endOfTrace || err != nil {
				break
			}
			continue
		}
		if len(lines) < maxEvents {
			lines = append(lines, string(l[:len(l)-1]))
		}
	}
	t.lines <- lines
}

// finish reads what is left and parses it. It must be called once every
// process of the run is gone.
func (t *traceReader) finish() ([]mptrace.Event, string) {
	_, _ = t.f.Write([]byte(endOfTrace))
	var lines []string
	select {
	case lines = <-t.lines:
	case <-time.After(10 * time.Second):
		// A process of the run still holds the FIFO and writes endlessly.
		return nil, "the trace never ended: a process kept writing to it after the run"
	}
	var events []mptrace.Event
	problem := ""
	for i, l := range lines {
		e, err := mptrace.Parse(l)
		if err != nil {
			if problem == "" {
				problem = fmt.Sprintf("line %d of the trace is not one mp writes: %q", i+1, shorten(l, 80))
			}
			continue
		}
		events = append(events, e)
	}
	var st syscall.Stat_t
	if err := syscall.Stat(t.path, &st); err != nil || st.Ino != t.ino {
		problem = "the trace file (MP_TRACE) was deleted or replaced while the program ran"
	}
	// Each process appends its own lines; order all of them by clock.
	slices.SortStableFunc(events, func(a, b mptrace.Event) int { return int(min(max(a.Mono-b.Mono, -1), 1)) })
	return events, problem
}

func (t *traceReader) close() { t.f.Close() }

func shorten(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// lastEvents returns, for every process in the trace, its last event.
func lastEvents(events []mptrace.Event) map[int]*mptrace.Event {
	last := map[int]*mptrace.Event{}
	for i := range events {
		last[events[i].Pid] = &events[i]
	}
	return last
}

// processNames maps pids to the names the trace gives them.
func processNames(events []mptrace.Event) map[int]string {
	names := map[int]string{}
	for _, e := range events {
		names[e.Pid] = e.Name
		if e.Kind == mptrace.Start {
			if pid, ok := e.Int("child"); ok {
				names[pid] = e.Attr("name")
			}
		}
	}
	return names
}

// describeAlive says which processes were still running at a timeout and,
// from the trace, what each did last; the zero Msg if none.
func describeAlive(r *Run) i18n.Msg {
	if len(r.Alive) == 0 {
		return i18n.Msg{}
	}
	names := processNames(r.Events)
	last := lastEvents(r.Events)
	var parts []i18n.Msg
	for _, p := range r.Alive {
		s := fmt.Sprintf("pid %d", p.Pid)
		if n, ok := names[p.Pid]; ok {
			s = fmt.Sprintf("%s (pid %d)", n, p.Pid)
		} else if p.Comm != "" {
			s = fmt.Sprintf("%s (pid %d)", p.Comm, p.Pid)
		}
		if e, ok := last[p.Pid]; ok {
			parts = append(parts, i18n.M("%s, last traced: %s", s, describeEvent(e)))
		} else {
			parts = append(parts, i18n.M("%s", s))
		}
	}
	return i18n.M("still running: %s", i18n.Join("; ", parts))
}

// describeEvent says an event in words.
func describeEvent(e *mptrace.Event) i18n.Msg {
	switch e.Kind {
	case mptrace.Block:
		return i18n.M("waiting in %s", e.Attr("in"))
	case mptrace.Start:
		return i18n.M("started %s", e.Attr("name"))
	case mptrace.Join:
		return i18n.M("joined pid %s", e.Attr("child"))
	case mptrace.Acquire, mptrace.Release, mptrace.Put, mptrace.Get, mptrace.Send, mptrace.Recv:
		id := e.Attr("lock") + e.Attr("sem") + e.Attr("queue") + e.Attr("conn")
		return i18n.M("%s %s", e.Kind, id)
	}
	var b bytes.Buffer
	b.WriteString(e.Kind)
	for _, a := range e.Attrs {
		b.WriteString(" " + a.Key + "=" + a.Value)
	}
	return i18n.M("%s", b.String())
}

var subreaper sync.Once

// becomeSubreaper makes the processes a run's shim leaves behind, if the
// program kills the shim, this process's children, so that sweep finds
// them.
func becomeSubreaper() { subreaper.Do(setSubreaper) }
