package mp_test

// Conformance tests ported from the relevant cases of CPython's
// Lib/test/_test_multiprocessing.py (_TestProcess, _TestSubclassingProcess),
// adapted to Go: children report back through inherited pipes, and nothing
// waits on a timer for an ordering that a real scheduler might not give.

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/forklore/forklore/mp"
)

// ---- targets (registered in TestMain) ----

type payload struct {
	I     int
	S     string
	F     float64
	B     bool
	L     []int
	M     map[string]int
	P     *int
	N     *int
	Any   any
	Inner struct{ X, Y int8 }
	Bytes []byte
	Nil   []string
	Empty []string
	hid   int
}

// reportArgs writes what it received, as JSON, then a digest of blob.
func reportArgs(w *os.File, p payload, blob []byte, u uint16, names ...string) {
	b, _ := json.Marshal(struct {
		P     payload
		U     uint16
		Names []string
		Hid   int
	}{p, u, names, p.hid})
	sum := sha256.Sum256(blob)
	fmt.Fprintf(w, "%s\n%s\n", b, hex.EncodeToString(sum[:]))
	w.Close()
}

// blockOn waits until r reaches EOF, that is until the test closes the
// write end: a child that runs exactly as long as the test wants.
func blockOn(r *os.File) {
	io.Copy(io.Discard, r)
}

func exitWith(code int) { os.Exit(code) }

func panicNow() { panic("boom") }

func panicInGoroutine() {
	done := make(chan bool)
	go func() { panic("boom in a goroutine") }()
	<-done
}

func returnError() error { return errors.New("it went wrong") }

func reportPid(w *os.File) {
	fmt.Fprintf(w, "%d %d %s %d\n", os.Getpid(), os.Getppid(), mp.CurrentProcess().Name, mp.ParentProcess().Pid())
	w.Close()
}

var global = 100

func setGlobal(w *os.File, v int) {
	global = v
	fmt.Fprintln(w, global)
	w.Close()
}

// startGrandchild starts reportPid in a grandchild named name ("" for the
// default) and reports the grandchild's name and the error from Start.
func startGrandchild(w *os.File, name string) {
	g := mp.NewProcess(reportPid, w)
	if name != "" {
		g.Name = name
	}
	err := g.Start()
	fmt.Fprintf(w, "start %s %v\n", g.Name, err)
	if err == nil {
		g.Join()
	}
	w.Close()
}

// startDaemonGrandchild starts a daemonic blockOn grandchild, reports its
// pid, and then ends as mode says.
func startDaemonGrandchild(w, block *os.File, mode string) {
	d := mp.NewProcess(blockOn, block)
	d.Daemon = true
	if err := d.Start(); err != nil {
		fmt.Fprintln(w, "error", err)
		return
	}
	fmt.Fprintln(w, d.Pid())
	switch mode {
	case "return":
		// mp calls Finish after the target: the daemon is terminated,
		// then joined; report its exit code.
		mp.Finish()
		code, _ := d.ExitCode()
		fmt.Fprintln(w, "daemon exit", code)
	case "exit":
		os.Exit(0) // no Finish at all
	case "wait":
		blockOn(block) // wait to be killed
	}
}

func reportAuthkey(w *os.File) {
	fmt.Fprintln(w, hex.EncodeToString(mp.CurrentProcess().Authkey()))
	w.Close()
}

func readStdin(w *os.File) {
	n, err := os.Stdin.Read(make([]byte, 10))
	fmt.Fprintln(w, n, err)
	w.Close()
}

// reportFDs reports which of the paths are open in this process.
func reportFDs(w *os.File, paths []string) {
	entries, _ := os.ReadDir("/proc/self/fd")
	open := map[string]bool{}
	for _, e := range entries {
		if target, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil {
			open[target] = true
		}
	}
	for _, p := range paths {
		fmt.Fprintln(w, p, open[p])
	}
	w.Close()
}

// reportEnv reports whether the child marker leaks to the target.
func reportEnv(w *os.File) {
	fmt.Fprintln(w, os.Getenv("FORKLORE_MP_CHILD") == "")
	w.Close()
}

func noop() {}

func sleepThenPrint(d time.Duration, w *os.File) {
	time.Sleep(d)
	fmt.Fprintln(w, "done")
}

// fieldRunner is the "subclass Process, override run" way.
type fieldRunner struct {
	W     *os.File
	Label string
	Count int
	hid   string
}

func (r *fieldRunner) Run() {
	fmt.Fprintf(r.W, "%s %d %q %s\n", r.Label, r.Count, r.hid, mp.CurrentProcess().Name)
	r.W.Close()
}

type runnerByValue struct{ W *os.File }

func (r runnerByValue) Run() error {
	fmt.Fprintln(r.W, "by value")
	r.W.Close()
	return nil
}

// ---- helpers ----

// pipe returns a pipe whose ends are closed when the test ends.
func pipe(t *testing.T) (r, w *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return r, w
}

// start starts p or fails the test, and makes sure it ends with the test.
func start(t *testing.T, p *mp.Process) {
	t.Helper()
	if err := p.Start(); err != nil {
		t.Fatalf("Start() = %v; want nil", err)
	}
	t.Cleanup(func() { p.Kill(); p.Join() })
}

// readAll reads what the children wrote once every copy of w is closed.
func readAll(t *testing.T, r, w *os.File) string {
	t.Helper()
	w.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// joinWithin joins p, failing the test rather than hanging forever.
func joinWithin(t *testing.T, p *mp.Process) {
	t.Helper()
	exited, err := p.JoinTimeout(30 * time.Second)
	if err != nil || !exited {
		t.Fatalf("JoinTimeout(30s) = %v, %v; want true, nil", exited, err)
	}
}

func exitCode(t *testing.T, p *mp.Process) int {
	t.Helper()
	code, exited := p.ExitCode()
	if !exited {
		t.Fatalf("ExitCode() says %s has not exited", p)
	}
	return code
}

// ---- tests ----

func TestLifecycle(t *testing.T) {
	r, w := pipe(t)
	p := mp.NewProcess(blockOn, r)
	if got := p.Pid(); got != 0 {
		t.Errorf("Pid() before Start = %d; want 0", got)
	}
	if p.IsAlive() {
		t.Error("IsAlive() before Start = true; want false")
	}
	if _, exited := p.ExitCode(); exited {
		t.Error("ExitCode() before Start says exited")
	}
	if s := p.String(); !strings.HasSuffix(s, " initial>") {
		t.Errorf("String() before Start = %q; want it to end in initial>", s)
	}
	start(t, p)
	r.Close()
	if p.Pid() <= 0 || p.Pid() == os.Getpid() {
		t.Errorf("Pid() = %d; want a new process's pid", p.Pid())
	}
	if !p.IsAlive() {
		t.Error("IsAlive() while blocked = false; want true")
	}
	if _, exited := p.ExitCode(); exited {
		t.Error("ExitCode() while running says exited")
	}
	if !containsProcess(mp.ActiveChildren(), p) {
		t.Errorf("ActiveChildren() = %v; want it to contain %v", mp.ActiveChildren(), p)
	}
	if s := p.String(); !strings.Contains(s, fmt.Sprintf("pid=%d parent=%d started", p.Pid(), os.Getpid())) {
		t.Errorf("String() while running = %q", s)
	}
	w.Close()
	joinWithin(t, p)
	if p.IsAlive() {
		t.Error("IsAlive() after Join = true; want false")
	}
	if got := exitCode(t, p); got != 0 {
		t.Errorf("exit code = %d; want 0", got)
	}
	if containsProcess(mp.ActiveChildren(), p) {
		t.Error("ActiveChildren() still lists a joined process")
	}
	if s := p.String(); !strings.HasSuffix(s, "stopped exitcode=0>") {
		t.Errorf("String() after exit = %q", s)
	}
	if err := p.Join(); err != nil {
		t.Errorf("second Join() = %v; want nil", err)
	}
}

func containsProcess(ps []*mp.Process, p *mp.Process) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

func TestArgsRoundTrip(t *testing.T) {
	seven := 7
	blob := make([]byte, 8<<20) // far beyond a pipe buffer and an env variable
	for i := range blob {
		blob[i] = byte(i * 31)
	}
	p := payload{
		I: -42, S: "héllo\x00world", F: 2.5, B: true, L: []int{3, 1, 2},
		M: map[string]int{"a": 1, "b": 2}, P: &seven, Any: []any{1, "x", 2.5, nil},
		Bytes: []byte{0, 1, 255}, Empty: []string{}, hid: 9,
	}
	p.Inner.X, p.Inner.Y = -1, 1
	r, w := pipe(t)
	proc := mp.NewProcess(reportArgs, w, p, blob, 65000, "a", "b")
	start(t, proc)
	got := readAll(t, r, w)
	joinWithin(t, proc)

	p.hid = 0 // unexported fields do not cross
	want, _ := json.Marshal(struct {
		P     payload
		U     uint16
		Names []string
		Hid   int
	}{p, 65000, []string{"a", "b"}, 0})
	sum := sha256.Sum256(blob)
	if want := string(want) + "\n" + hex.EncodeToString(sum[:]) + "\n"; got != want {
		t.Errorf("child received\n%s\nwant\n%s", got, want)
	}
}

func TestArgsDecodedWithExactTypes(t *testing.T) {
	// Python has no int/float split; in Go an int argument must arrive as
	// an int, and Any holds the dynamic type that was sent.
	r, w := pipe(t)
	proc := mp.NewProcess(reportArgs, w, payload{Any: int64(3)}, []byte(nil), uint16(1))
	start(t, proc)
	got := readAll(t, r, w)
	joinWithin(t, proc)
	if !strings.Contains(got, `"Any":3`) {
		t.Errorf("child received %s; want Any 3", got)
	}
}

func TestRunTypes(t *testing.T) {
	r, w := pipe(t)
	p := mp.NewProcess(&fieldRunner{W: w, Label: "egon", Count: 3, hid: "secret"})
	p.Name = "Piao"
	start(t, p)
	q := mp.NewProcess(runnerByValue{W: w})
	start(t, q)
	got := readAll(t, r, w)
	joinWithin(t, p)
	joinWithin(t, q)
	lines := strings.Split(strings.TrimSpace(got), "\n")
	sort.Strings(lines)
	want := []string{"by value", `egon 3 "" Piao`}
	if !reflect.DeepEqual(lines, want) {
		t.Errorf("children printed %q; want %q", lines, want)
	}
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		name   string
		target any
		args   []any
		want   int
	}{
		{"return", noop, nil, 0},
		{"os.Exit(3)", exitWith, []any{3}, 3},
		{"os.Exit(0)", exitWith, []any{0}, 0},
		{"panic", panicNow, nil, 1},
		{"panic in another goroutine", panicInGoroutine, nil, 1},
		{"error returned", returnError, nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mp.NewProcess(tt.target, tt.args...)
			start(t, p)
			joinWithin(t, p)
			if got := exitCode(t, p); got != tt.want {
				t.Errorf("%s: exit code %d; want %d", tt.name, got, tt.want)
			}
		})
	}
}

func TestTerminateAndKill(t *testing.T) {
	for _, tt := range []struct {
		name string
		stop func(*mp.Process) error
		want int
	}{
		{"Terminate", (*mp.Process).Terminate, -15},
		{"Kill", (*mp.Process).Kill, -9},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := pipe(t)
			p := mp.NewProcess(blockOn, r)
			start(t, p)
			if err := tt.stop(p); err != nil {
				t.Fatalf("%s() = %v", tt.name, err)
			}
			joinWithin(t, p)
			if got := exitCode(t, p); got != tt.want {
				t.Errorf("exit code after %s = %d; want %d", tt.name, got, tt.want)
			}
			if err := tt.stop(p); err != nil {
				t.Errorf("%s() after exit = %v; want nil", tt.name, err)
			}
			sig := strings.ToUpper(map[int]string{-15: "SIGTERM", -9: "SIGKILL"}[tt.want])
			if s := p.String(); !strings.Contains(s, "exitcode=-"+sig) {
				t.Errorf("String() = %q; want exitcode=-%s", s, sig)
			}
		})
	}
}

func TestJoinTimeout(t *testing.T) {
	r, w := pipe(t)
	p := mp.NewProcess(blockOn, r)
	start(t, p)
	for _, d := range []time.Duration{0, -time.Second, time.Millisecond, 20 * time.Millisecond} {
		exited, err := p.JoinTimeout(d)
		if err != nil || exited {
			t.Errorf("JoinTimeout(%v) on a blocked child = %v, %v; want false, nil", d, exited, err)
		}
	}
	w.Close()
	joinWithin(t, p)
	for _, d := range []time.Duration{0, -time.Second} {
		if exited, err := p.JoinTimeout(d); err != nil || !exited {
			t.Errorf("JoinTimeout(%v) after exit = %v, %v; want true, nil", d, exited, err)
		}
	}
}

func TestMisuseErrors(t *testing.T) {
	p := mp.NewProcess(noop)
	if err := p.Join(); !errors.Is(err, mp.ErrNotStarted) || err.Error() != "mp: can only join a started process" {
		t.Errorf("Join() before Start = %v; want %v", err, mp.ErrNotStarted)
	}
	if _, err := p.JoinTimeout(time.Second); !errors.Is(err, mp.ErrNotStarted) {
		t.Errorf("JoinTimeout() before Start = %v; want %v", err, mp.ErrNotStarted)
	}
	if err := p.Terminate(); !errors.Is(err, mp.ErrNotStarted) {
		t.Errorf("Terminate() before Start = %v; want %v", err, mp.ErrNotStarted)
	}
	start(t, p)
	if err := p.Start(); !errors.Is(err, mp.ErrStartedTwice) || err.Error() != "mp: cannot start a process twice" {
		t.Errorf("second Start() = %v; want %v", err, mp.ErrStartedTwice)
	}
	joinWithin(t, p)
	if err := p.Start(); !errors.Is(err, mp.ErrStartedTwice) {
		t.Errorf("Start() after exit = %v; want %v", err, mp.ErrStartedTwice)
	}
	cur := mp.CurrentProcess()
	if err := cur.Join(); !errors.Is(err, mp.ErrNotChild) || err.Error() != "mp: can only join a child process" {
		t.Errorf("CurrentProcess().Join() = %v; want %v", err, mp.ErrNotChild)
	}
	if err := cur.Terminate(); !errors.Is(err, mp.ErrNotChild) {
		t.Errorf("CurrentProcess().Terminate() = %v; want %v", err, mp.ErrNotChild)
	}
	if err := cur.Start(); !errors.Is(err, mp.ErrNotChild) {
		t.Errorf("CurrentProcess().Start() = %v; want %v", err, mp.ErrNotChild)
	}
}

func unregistered() {}

func TestBadTargetsAndArguments(t *testing.T) {
	x := 1
	tests := []struct {
		name   string
		target any
		args   []any
		is     error
		want   string
	}{
		{"unregistered", unregistered, nil, mp.ErrNotRegistered, "mp: the target github.com/forklore/forklore/mp_test.unregistered is not registered: make mp.Main(unregistered, ...) the first statement of main"},
		{"closure", func() { x++ }, nil, mp.ErrNotRegistered, "function literal"},
		{"method value", (&fieldRunner{}).Run, nil, mp.ErrNotRegistered, "function literal or method value"},
		{"unregistered Run type", &unregisteredRunner{}, nil, mp.ErrNotRegistered, "make mp.Main(&unregisteredRunner{}, ...)"},
		{"not a target", 42, nil, nil, "a int cannot be a target"},
		{"nil", nil, nil, nil, "the target is nil"},
		{"too few arguments", reportPid, nil, nil, "takes 1 arguments (*os.File), got 0"},
		{"wrong type", setGlobal, []any{os.Stdout, "x"}, nil, "argument 2 of github.com/forklore/forklore/mp_test.setGlobal has type string, but the parameter has type int"},
		{"channel", blockOnChan, []any{make(chan int)}, nil, "a channel connects goroutines of one process only"},
		{"function inside any", reportArgs, []any{os.Stdout, payload{Any: noop}, []byte(nil), 1}, nil, "functions do not cross process boundaries"},
		{"unregistered type inside any", reportArgs, []any{os.Stdout, payload{Any: struct{ Z int }{}}, []byte(nil), 1}, nil, "call mp.Register"},
		{"arguments to a Run type", &fieldRunner{}, []any{1}, nil, "takes no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mp.NewProcess(tt.target, tt.args...)
			err := p.Start()
			if err == nil {
				p.Kill()
				p.Join()
				t.Fatalf("Start() = nil; want an error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "mp: ") {
				t.Errorf("Start() = %q; want it to contain %q", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("Start() = %v; want errors.Is(err, %v)", err, tt.is)
			}
			if p.IsAlive() || p.Pid() != 0 {
				t.Errorf("after a failed Start, IsAlive() = %v, Pid() = %d; want false, 0", p.IsAlive(), p.Pid())
			}
		})
	}
}

type unregisteredRunner struct{}

func (*unregisteredRunner) Run() {}

func blockOnChan(c chan int) {}

func TestRunExecutesInCallingProcess(t *testing.T) {
	_, w := pipe(t)
	p := mp.NewProcess(reportPid, w)
	// reportPid uses ParentProcess, which is nil here: Run must not start
	// anything, so the panic happens in this process.
	func() {
		defer func() { recover() }()
		p.Run()
	}()
	if p.Pid() != 0 || p.IsAlive() {
		t.Errorf("after Run, Pid() = %d, IsAlive() = %v; want 0, false", p.Pid(), p.IsAlive())
	}
	r2, w2 := pipe(t)
	q := mp.NewProcess(&fieldRunner{W: w2, Label: "direct"})
	if err := q.Run(); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, r2, w2); !strings.HasPrefix(got, "direct 0") {
		t.Errorf("Run printed %q; want the target's line", got)
	}
	// A closure runs fine with Run: nothing crosses a process boundary.
	ran := false
	if err := mp.NewProcess(func() { ran = true }).Run(); err != nil || !ran {
		t.Errorf("Run() of a closure = %v, ran=%v; want nil, true", err, ran)
	}
	if err := mp.NewProcess(returnError).Run(); err == nil || err.Error() != "it went wrong" {
		t.Errorf("Run() = %v; want the target's error", err)
	}
}

func TestPidsAndParents(t *testing.T) {
	r, w := pipe(t)
	p := mp.NewProcess(reportPid, w)
	start(t, p)
	got := readAll(t, r, w)
	joinWithin(t, p)
	want := fmt.Sprintf("%d %d %s %d\n", p.Pid(), os.Getpid(), p.Name, os.Getpid())
	if got != want {
		t.Errorf("child reported %q; want %q", got, want)
	}
	if mp.ParentProcess() != nil {
		t.Errorf("ParentProcess() in the main process = %v; want nil", mp.ParentProcess())
	}
	cur := mp.CurrentProcess()
	if cur.Name != "MainProcess" || cur.Pid() != os.Getpid() || !cur.IsAlive() {
		t.Errorf("CurrentProcess() = %v (pid %d); want MainProcess with this pid", cur, cur.Pid())
	}
}

func TestNames(t *testing.T) {
	a := mp.NewProcess(noop)
	b := mp.NewProcess(noop)
	na, _ := strconv.Atoi(strings.TrimPrefix(a.Name, "Process-"))
	nb, _ := strconv.Atoi(strings.TrimPrefix(b.Name, "Process-"))
	if na <= 0 || nb != na+1 {
		t.Errorf("names %q, %q; want Process-N, Process-N+1", a.Name, b.Name)
	}

	r, w := pipe(t)
	p := mp.NewProcess(startGrandchild, w, "")
	start(t, p)
	q := mp.NewProcess(startGrandchild, w, "grandkid")
	q.Name = "custom"
	start(t, q)
	got := readAll(t, r, w)
	joinWithin(t, p)
	joinWithin(t, q)
	// Grandchildren are numbered from 1 in each child, under the child's
	// number, whatever the child's name.
	for _, want := range []string{
		fmt.Sprintf("start %s:1 <nil>", p.Name),
		fmt.Sprintf(" %s:1 %d", p.Name, p.Pid()),
		"start grandkid <nil>",
		fmt.Sprintf(" grandkid %d", q.Pid()),
	} {
		if !strings.Contains(got, want) {
			t.Errorf("children reported\n%s\nwant a line containing %q", got, want)
		}
	}
}

func TestIsolationOfGlobals(t *testing.T) {
	r, w := pipe(t)
	p := mp.NewProcess(setGlobal, w, 0)
	start(t, p)
	got := readAll(t, r, w)
	joinWithin(t, p)
	if got != "0\n" || global != 100 {
		t.Errorf("child saw %q, parent has %d; want 0 in the child, 100 in the parent", got, global)
	}
}

func TestAuthkey(t *testing.T) {
	key := mp.CurrentProcess().Authkey()
	if len(key) != 32 {
		t.Fatalf("len(Authkey()) = %d; want 32", len(key))
	}
	r, w := pipe(t)
	p := mp.NewProcess(reportAuthkey, w)
	start(t, p)
	got := readAll(t, r, w)
	joinWithin(t, p)
	if want := hex.EncodeToString(key) + "\n"; got != want {
		t.Errorf("child's authkey %q; want the parent's %q", got, want)
	}
	if !reflect.DeepEqual(p.Authkey(), key) {
		t.Error("a child Process's Authkey() differs from the parent's")
	}
}

func TestStdinIsDevNull(t *testing.T) {
	r, w := pipe(t)
	p := mp.NewProcess(readStdin, w)
	start(t, p)
	got := readAll(t, r, w)
	joinWithin(t, p)
	if got != "0 EOF\n" {
		t.Errorf("child's stdin read gave %q; want 0 EOF", got)
	}
}

func TestChildMarkerDoesNotReachTarget(t *testing.T) {
	r, w := pipe(t)
	p := mp.NewProcess(reportEnv, w)
	start(t, p)
	if got := readAll(t, r, w); got != "true\n" {
		t.Errorf("FORKLORE_MP_CHILD visible to the target: %q", got)
	}
	joinWithin(t, p)
}

func TestManyProcessesStartedAndJoined(t *testing.T) {
	var ps []*mp.Process
	for range 100 {
		p := mp.NewProcess(noop)
		start(t, p)
		ps = append(ps, p)
	}
	pids := map[int]bool{}
	for _, p := range ps {
		joinWithin(t, p)
		if code := exitCode(t, p); code != 0 {
			t.Errorf("%v exit code %d; want 0", p, code)
		}
		pids[p.Pid()] = true
	}
	if len(pids) != 100 {
		t.Errorf("%d distinct pids; want 100", len(pids))
	}
}

func TestManyProcessesTerminated(t *testing.T) {
	r, _ := pipe(t)
	var ps []*mp.Process
	for range 100 {
		p := mp.NewProcess(blockOn, r)
		start(t, p)
		ps = append(ps, p)
	}
	for _, p := range ps {
		if err := p.Terminate(); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range ps {
		joinWithin(t, p)
		if code := exitCode(t, p); code != -15 {
			t.Errorf("%v exit code %d; want -15", p, code)
		}
	}
}

func TestConcurrentStartsFromGoroutines(t *testing.T) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	names := map[string]bool{}
	for range 8 {
		wg.Go(func() {
			p := mp.NewProcess(noop)
			if err := p.Start(); err != nil {
				t.Error(err)
				return
			}
			go p.IsAlive()
			go p.String()
			p.Join()
			mu.Lock()
			names[p.Name] = true
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(names) != 8 {
		t.Errorf("%d distinct names among 8 processes", len(names))
	}
}

func TestDaemonCannotHaveChildren(t *testing.T) {
	r, w := pipe(t)
	p := mp.NewProcess(startGrandchild, w, "")
	p.Daemon = true
	start(t, p)
	got := readAll(t, r, w)
	joinWithin(t, p)
	if want := "mp: daemonic processes are not allowed to have children"; !strings.Contains(got, want) {
		t.Errorf("daemon reported %q; want %q", got, want)
	}
	if s := p.String(); !strings.HasSuffix(s, " daemon>") {
		t.Errorf("String() = %q; want it to end in daemon>", s)
	}
}

// TestDaemonEndsWithParent checks that a daemon never outlives its parent,
// however the parent ends. Orphans are reparented to the test process (a
// subreaper), which waits for the daemon to die.
func TestDaemonEndsWithParent(t *testing.T) {
	for _, mode := range []string{"return", "exit", "killed", "terminated"} {
		t.Run(mode, func(t *testing.T) {
			r, w := pipe(t)
			block, _ := pipe(t) // nobody writes: the daemon blocks forever
			childMode := mode
			if mode == "killed" || mode == "terminated" {
				childMode = "wait"
			}
			p := mp.NewProcess(startDaemonGrandchild, w, block, childMode)
			start(t, p)
			w.Close()
			br := bufio.NewReader(r)
			dpid := readPid(t, br, "daemon")
			switch mode {
			case "killed":
				p.Kill()
			case "terminated":
				p.Terminate()
			}
			joinWithin(t, p)
			rest, _ := io.ReadAll(br)
			if mode == "return" {
				if got := strings.TrimSpace(string(rest)); got != "daemon exit -15" {
					t.Errorf("parent reported %q; want the daemon terminated (-15)", got)
				}
				return
			}
			// The daemon is now an orphan, reparented to this process.
			ws, err := waitPid(dpid, 20*time.Second)
			if err != nil {
				t.Fatalf("daemon %d outlived its parent: %v", dpid, err)
			}
			if !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
				t.Errorf("daemon ended with %v; want SIGTERM", ws)
			}
		})
	}
}

// readPid reads the line where a child reports the pid of the process it
// started.
func readPid(t *testing.T, br *bufio.Reader, what string) int {
	t.Helper()
	line, err := br.ReadString('\n')
	if err != nil {
		t.Fatalf("no %s pid from the child: %v", what, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("child said %q; want the %s's pid", line, what)
	}
	return pid
}

// TestParentIsAliveTurnsFalse checks ParentProcess().IsAlive in a child
// that is not a daemon (which watches its parent only when asked): true
// while the parent runs, false once it has ended.
func TestParentIsAliveTurnsFalse(t *testing.T) {
	r, w := pipe(t)
	p := mp.NewProcess(startOrphan, w)
	start(t, p)
	w.Close()
	br := bufio.NewReader(r)
	gpid := readPid(t, br, "grandchild")
	joinWithin(t, p)
	rest, _ := io.ReadAll(br) // the grandchild closes its copy when done
	if got, want := strings.TrimSpace(string(rest)), "alive while the parent runs: true\nalive after it ended: false"; got != want {
		t.Errorf("grandchild reported %q; want %q", got, want)
	}
	if _, err := waitPid(gpid, 20*time.Second); err != nil {
		t.Errorf("grandchild %d: %v", gpid, err)
	}
}

// startOrphan starts reportParentGone in a grandchild, reports its pid,
// and once the grandchild has looked at its living parent, exits at once
// without Finish, leaving it an orphan.
func startOrphan(w *os.File) {
	ready, readyW, err := os.Pipe()
	if err != nil {
		fmt.Fprintln(w, err)
		os.Exit(1)
	}
	g := mp.NewProcess(reportParentGone, w, readyW)
	if err := g.Start(); err != nil {
		fmt.Fprintln(w, err)
		os.Exit(1)
	}
	readyW.Close()
	fmt.Fprintln(w, g.Pid())
	ready.Read(make([]byte, 1))
	os.Exit(0)
}

// reportParentGone reports IsAlive of its parent before and after the
// parent ends.
func reportParentGone(w, ready *os.File) {
	fmt.Fprintln(w, "alive while the parent runs:", mp.ParentProcess().IsAlive())
	ready.Close()
	// Not forever, so that a broken IsAlive fails the test instead of
	// hanging it.
	for deadline := time.Now().Add(20 * time.Second); mp.ParentProcess().IsAlive() && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	fmt.Fprintln(w, "alive after it ended:", mp.ParentProcess().IsAlive())
	w.Close()
}

// waitPid waits for an orphan that was reparented to this process.
func waitPid(pid int, limit time.Duration) (syscall.WaitStatus, error) {
	type result struct {
		ws  syscall.WaitStatus
		err error
	}
	c := make(chan result, 1)
	go func() {
		var ws syscall.WaitStatus
		_, err := syscall.Wait4(pid, &ws, 0, nil)
		c <- result{ws, err}
	}()
	select {
	case r := <-c:
		return r.ws, r.err
	case <-time.After(limit):
		syscall.Kill(pid, syscall.SIGKILL)
		return 0, fmt.Errorf("still alive after %v", limit)
	}
}

func TestChildJoinsItsChildrenBeforeExiting(t *testing.T) {
	// Finish on this process would also join other tests' children; check
	// it in a child instead. The child starts a grandchild that sleeps, and
	// returns without joining it: mp runs Finish after the target, so the
	// grandchild must be gone (reaped by the child) once the child is.
	// Without Finish it would be an orphan, reparented to this process (a
	// subreaper), and still asleep.
	r, w := pipe(t)
	p := mp.NewProcess(startUnjoinedGrandchild, w)
	start(t, p)
	w.Close()
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		t.Fatalf("no grandchild pid from the child: %v", err)
	}
	gpid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("child said %q", line)
	}
	joinWithin(t, p)
	if err := syscall.Kill(gpid, 0); err != syscall.ESRCH {
		t.Errorf("grandchild %d still exists after its parent exited (kill: %v); want it joined by the parent's Finish", gpid, err)
		waitPid(gpid, 10*time.Second)
	}
}

// startUnjoinedGrandchild starts a sleeping grandchild, reports its pid and
// returns without joining it.
func startUnjoinedGrandchild(w *os.File) {
	g := mp.NewProcess(sleepThenPrint, 200*time.Millisecond, w)
	if err := g.Start(); err != nil {
		fmt.Fprintln(w, err)
		return
	}
	fmt.Fprintln(w, g.Pid())
	w.Close()
}

// TestNetConnNeedsMpnet checks that mp, which does not link package net,
// refuses a connection with an error that names the import to add
// (mp/mpnet's tests pass connections with it).
func TestNetConnNeedsMpnet(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	for _, p := range []*mp.Process{
		mp.NewProcess(takeAny, client), // in an interface
		mp.NewProcess(takeAny, ln),     // a listener
		mp.NewProcess(takeTCP, client), // as its own type
	} {
		err := p.Start()
		if err == nil {
			p.Join()
		}
		want := `import _ "github.com/forklore/forklore/mp/mpnet"`
		if !errors.Is(err, mp.ErrNeedMpnet) || !strings.Contains(err.Error(), want) {
			t.Errorf("Start() = %v; want an error naming the mpnet import, matching ErrNeedMpnet", err)
		}
	}
	// A nil connection has no descriptor, and needs nothing.
	p := mp.NewProcess(takeTCP, nil)
	start(t, p)
	joinWithin(t, p)
	if code := exitCode(t, p); code != 0 {
		t.Errorf("exit code with a nil *net.TCPConn = %d; want 0", code)
	}
}

func takeAny(c any)          {}
func takeTCP(c *net.TCPConn) {}

func TestDescriptorsDoNotLeak(t *testing.T) {
	dir := t.TempDir()
	passed := filepath.Join(dir, "passed")
	held := filepath.Join(dir, "held")
	f1, _ := os.Create(passed)
	defer f1.Close()
	f2, _ := os.Create(held) // open in the parent, never passed
	defer f2.Close()
	// The child gets f1; it starts a grandchild that gets neither.
	r, w := pipe(t)
	p := mp.NewProcess(reportFDs, w, []string{passed, held})
	start(t, p)
	got := readAll(t, r, w)
	joinWithin(t, p)
	if want := passed + " false\n" + held + " false\n"; got != want {
		t.Errorf("child has open:\n%s\nwant neither file open", got)
	}
	r2, w2 := pipe(t)
	q := mp.NewProcess(&fdRunner{W: w2, F: f1, Paths: []string{passed, held}})
	start(t, q)
	got = readAll(t, r2, w2)
	joinWithin(t, q)
	for _, want := range []string{"child " + passed + " true", "child " + held + " false", "grandchild " + passed + " false", "grandchild " + held + " false"} {
		if !strings.Contains(got, want) {
			t.Errorf("report\n%s\nlacks %q", got, want)
		}
	}
}

// fdRunner holds a file as a field; it reports what is open in itself and
// in a grandchild it does not pass the file to.
type fdRunner struct {
	W     *os.File
	F     *os.File
	Paths []string
}

func (r *fdRunner) Run() {
	entries, _ := os.ReadDir("/proc/self/fd")
	open := map[string]bool{}
	for _, e := range entries {
		if target, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil {
			open[target] = true
		}
	}
	for _, p := range r.Paths {
		fmt.Fprintln(r.W, "child", p, open[p])
	}
	pr, pw, _ := os.Pipe()
	g := mp.NewProcess(reportFDs, pw, r.Paths)
	if err := g.Start(); err != nil {
		fmt.Fprintln(r.W, err)
		return
	}
	pw.Close()
	out, _ := io.ReadAll(pr)
	g.Join()
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fmt.Fprintln(r.W, "grandchild", l)
	}
	r.W.Close()
}

func TestChildTraceAndPerturb(t *testing.T) {
	path := filepath.Join(t.TempDir(), "trace")
	t.Setenv("MP_TRACE", path)
	t.Setenv("MP_PERTURB", "12345")
	p := mp.NewProcess(exitWith, 4)
	start(t, p)
	joinWithin(t, p)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 1 { // os.Exit skips the end event
		t.Fatalf("trace:\n%s\nwant exactly one begin line", b)
	}
	f := strings.Fields(lines[0])
	want := []string{strconv.Itoa(p.Pid()), strconv.Itoa(os.Getpid()), strconv.Quote(p.Name), "begin"}
	if len(f) != 5 || !reflect.DeepEqual(f[1:], want) {
		t.Errorf("trace line %q; want <ns> %s", lines[0], strings.Join(want, " "))
	}
	if _, err := strconv.ParseInt(f[0], 10, 64); err != nil {
		t.Errorf("trace time %q is not a number", f[0])
	}
	if code := exitCode(t, p); code != 4 {
		t.Errorf("exit code %d; want 4", code)
	}
}

func TestNumGoroutinesSettle(t *testing.T) {
	// Each child costs one goroutine until it is reaped; none leaks.
	before := runtime.NumGoroutine()
	for range 5 {
		p := mp.NewProcess(noop)
		start(t, p)
		joinWithin(t, p)
	}
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after 5 joined children; want at most %d", n, before)
	}
}

func TestTraceRecordsExitBeforeJoinReturns(t *testing.T) {
	// A child starts and joins a grandchild, then ends. Its trace must show
	// the grandchild's exit before its own end: Join returns only once the
	// exit is recorded, or a program could end with the event unwritten.
	path := filepath.Join(t.TempDir(), "trace")
	t.Setenv("MP_TRACE", path)
	for range 10 {
		r, w := pipe(t)
		p := mp.NewProcess(startGrandchild, w, "")
		start(t, p)
		readAll(t, r, w)
		joinWithin(t, p)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	exited := map[string]bool{} // pid of a child whose exit its parent recorded
	ended := 0
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 6 && f[4] == "exit":
			exited[f[1]] = true
		case len(f) >= 6 && f[4] == "end" && strings.Count(f[3], ":") == 0:
			// a child (not a grandchild) ended: it must have recorded its
			// grandchild's exit already
			if !exited[f[1]] {
				t.Errorf("process %s wrote end before its child's exit:\n%s", f[1], b)
			}
			ended++
		}
	}
	if ended != 10 {
		t.Errorf("%d children wrote end; want 10\n%s", ended, b)
	}
}
