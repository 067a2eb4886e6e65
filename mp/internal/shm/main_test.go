package shm

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Cross-process tests run copies of the test binary: TestMain runs the role
// named in SHM_TEST_CHILD on the region inherited as descriptor 3, with the
// arguments in SHM_TEST_ARGS, and exits.
const (
	childRoleEnv = "SHM_TEST_CHILD"
	childArgsEnv = "SHM_TEST_ARGS"
)

// childRoles maps each role to its function; args are the integers passed
// to startChild. An error makes the child exit with status 1.
var childRoles = map[string]func(r *Region, args []int) error{}

func TestMain(m *testing.M) {
	if role := os.Getenv(childRoleEnv); role != "" {
		os.Exit(runChild(role))
	}
	os.Exit(m.Run())
}

func runChild(role string) int {
	fail := func(err error) int {
		fmt.Fprintf(os.Stderr, "child %s: %v\n", role, err)
		return 1
	}
	fn := childRoles[role]
	if fn == nil {
		return fail(fmt.Errorf("unknown role"))
	}
	var args []int
	for _, a := range strings.Fields(os.Getenv(childArgsEnv)) {
		n, err := strconv.Atoi(a)
		if err != nil {
			return fail(err)
		}
		args = append(args, n)
	}
	r, err := OpenRegion(os.NewFile(3, "region"))
	if err != nil {
		return fail(err)
	}
	if err := fn(r, args); err != nil {
		return fail(err)
	}
	return 0
}

// child is a running copy of the test binary.
type child struct {
	cmd    *exec.Cmd
	role   string
	stderr bytes.Buffer
	done   bool
}

// startChild starts a child running role on r. The child is killed at the
// end of the test if it is still running.
func startChild(tb testing.TB, r *Region, role string, args ...int) *child {
	tb.Helper()
	c := &child{role: role}
	strs := make([]string, len(args))
	for i, a := range args {
		strs[i] = strconv.Itoa(a)
	}
	c.cmd = exec.Command(os.Args[0])
	c.cmd.Env = append(os.Environ(),
		childRoleEnv+"="+role,
		childArgsEnv+"="+strings.Join(strs, " "),
		"GORACE=atexit_sleep_ms=0")
	c.cmd.ExtraFiles = []*os.File{r.File()}
	c.cmd.Stderr = &c.stderr
	if err := c.cmd.Start(); err != nil {
		tb.Fatalf("starting child %s: %v", role, err)
	}
	tb.Cleanup(func() {
		if !c.done {
			c.cmd.Process.Kill()
			c.cmd.Wait()
		}
	})
	return c
}

// wait waits for the child and fails the test unless it exited with status 0.
func (c *child) wait(tb testing.TB) {
	tb.Helper()
	err := c.cmd.Wait()
	c.done = true
	if err != nil {
		tb.Errorf("child %s: %v\n%s", c.role, err, c.stderr.String())
	}
}

// kill kills the child with SIGKILL without waiting for it, leaving a zombie.
func (c *child) kill(tb testing.TB) {
	tb.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		tb.Fatalf("killing child %s: %v", c.role, err)
	}
}

// newRegion returns a region of size bytes closed at the end of the test.
func newRegion(tb testing.TB, size int) *Region {
	tb.Helper()
	r, err := NewRegion(size)
	if err != nil {
		tb.Fatalf("NewRegion(%d): %v", size, err)
	}
	tb.Cleanup(func() { r.Close() })
	return r
}

// must returns v, or panics with err: for setup steps that cannot fail
// unless the package is broken.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// Offsets shared by tests and their children: a gate Seq that children
// wait on before starting, so that they run at once; a Seq they bump when
// ready; then the objects under test.
const (
	offGate  = 0
	offReady = 64
	offObj   = 128
	offObj2  = 192
	offData  = 256
)

// waitGate tells the parent this child is ready, then waits for the gate
// to open.
func waitGate(r *Region) error {
	ready, err := OpenSeq(r, offReady)
	if err != nil {
		return err
	}
	gate, err := OpenSeq(r, offGate)
	if err != nil {
		return err
	}
	ready.Bump()
	gate.WaitChange(0, time.Time{})
	return nil
}

// openGate waits until n children are ready, then lets them all go.
func openGate(tb testing.TB, r *Region, n int) {
	tb.Helper()
	ready := must(OpenSeq(r, offReady))
	gate := must(OpenSeq(r, offGate))
	for v := ready.Load(); v < uint32(n); v = ready.Load() {
		ready.WaitChange(v, time.Time{})
	}
	gate.Bump()
}

// waitUntil waits, without a time limit, until cond holds: for conditions
// that another process makes true.
func waitUntil(cond func() bool) {
	for !cond() {
		time.Sleep(100 * time.Microsecond)
	}
}

// counter returns the uint64 at off of r.
func counter(r *Region, off int) *uint64 { return word64(r.Bytes(), off) }

// sleepers returns how many processes sleep, or are about to, on a Seq or Sem.
func sleepers(b []byte, off int) uint32 { return atomic.LoadUint32(word32(b, off+4)) }
