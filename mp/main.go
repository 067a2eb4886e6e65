package mp

import (
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// self is this process as mp sees it.
var self struct {
	mu         sync.Mutex
	mainCalled bool
	isChild    bool
	daemon     bool
	identity   []int // Python's _identity: the path of counts from the main process
	counter    int   // processes created here so far
	children   []*Process
	authkey    []byte
	ppid       int
	name       string // the name this process started with, for traces
	current    *Process
	parent     *Process
	parentGone atomic.Bool
	atExit     []func()
}

// Main registers the targets that processes may run, and makes a child run
// its target. It must be the first statement of main:
//
//	func main() {
//		mp.Main(worker, &Piao{})
//		defer mp.Finish()
//		...
//	}
//
// A child is this same program executed again, as with Python's "spawn"
// start method: package-level variables are initialised afresh, init
// functions run again, and then Main takes over. In a child, Main runs the
// target and exits, and never returns; in the main process it returns at
// once. This is Go's form of Python's `if __name__ == '__main__':` guard:
// everything after Main runs in the main process only.
//
// Targets are top-level functions and values whose type has a Run method
// (for a Run type, pass any value of it). They are registered by name, so
// the same program registers the same targets in every process. Main panics
// on a value that cannot be a target, such as a function literal.
func Main(targets ...any) {
	child := os.Getenv(childEnv) != ""
	if child {
		// The parent, the same program, checked these targets already:
		// name them only as the child looks them up.
		noteTargets(targets)
	} else {
		register(targets)
	}
	self.mu.Lock()
	if self.mainCalled {
		self.mu.Unlock()
		return
	}
	self.mainCalled = true
	self.mu.Unlock()
	if !child {
		self.ppid = os.Getppid()
		self.name = "MainProcess"
		self.current = &Process{Name: "MainProcess", role: roleCurrent}
		initHooks("")
		trace("begin")
		return
	}
	os.Exit(runChild())
}

// Finish does what Python does when the main module ends: it terminates
// the daemonic children, then waits for every other child to finish. Defer
// it right after Main:
//
//	mp.Main(worker)
//	defer mp.Finish()
//
// Go has no exit handlers, so without Finish main returns without waiting
// for its children: non-daemonic children go on running as orphans, which
// Python never allows. Daemonic children end either way, because each one
// watches its parent and terminates itself when the parent is gone, even
// when the parent called os.Exit, panicked or was killed.
//
// A deferred call does not run when main calls os.Exit or log.Fatal; call
// Finish before those. In a child, mp calls Finish after the target returns.
func Finish() {
	terminatePools() // as Python's exit does; a Pool would replace its daemons
	for _, p := range ActiveChildren() {
		if p.daemon {
			_ = p.Terminate()
		}
	}
	for _, p := range ActiveChildren() {
		_ = p.Join()
	}
	self.mu.Lock()
	hooks := self.atExit
	self.atExit = nil
	self.mu.Unlock()
	for i := len(hooks) - 1; i >= 0; i-- {
		hooks[i]()
	}
	if !self.isChild {
		trace("end", "code=0")
	}
}

// runChild is the life of a child process; it returns the exit code.
func runChild() int {
	os.Unsetenv(childEnv)
	sock := os.NewFile(bootstrapFD, "mp-bootstrap")
	b, args, err := readBootstrap(sock)
	if err != nil {
		return childFail("%v", err)
	}
	// Inherited descriptors must not leak further, into grandchildren they
	// were not passed to.
	files, err := adoptInherited(bootstrapFD+1, b.NFiles)
	if err != nil {
		return childFail("bad bootstrap: %v", err)
	}
	setCloexec(bootstrapFD)
	d := &decoder{buf: args, files: files}

	self.isChild = true
	self.daemon = b.Daemon
	self.identity = b.Identity
	self.authkey = b.Authkey
	self.ppid = b.ParentPid
	self.name = b.Name
	self.current = &Process{Name: b.Name, Daemon: b.Daemon, role: roleCurrent}
	self.parent = &Process{Name: b.ParentName, role: roleParent, pid: b.ParentPid}
	initHooks(identityString(b.Identity))

	// A Go runtime crash (an unrecovered panic in another goroutine) exits
	// with 2; the copy of its report on the socket tells the parent that 2
	// was a crash, which Python reports as 1.
	_ = debug.SetCrashOutput(sock, debug.CrashOptions{})
	// Only a daemon must act when its parent ends; for the others,
	// ParentProcess().IsAlive looks at the socket when asked, and their
	// start does not pay for a goroutine blocked in a read.
	if b.Daemon {
		go watchParent(sock)
	}

	target, ok := lookupTarget(b.Key)
	if !ok {
		return childFail("the target %s is not registered in the child: register the same targets in every process, with mp.Main as the first statement of main", strings.TrimPrefix(b.Key, "type:"))
	}
	var vals []reflect.Value
	if target.Kind() == reflect.Func {
		t := target.Type()
		for i := 0; len(d.buf) > 0; i++ {
			if i >= t.NumIn() && !t.IsVariadic() {
				return childFail("bad bootstrap: it carries more than the %d arguments of %s", t.NumIn(), funcName(target))
			}
			v := reflect.New(paramType(t, i)).Elem()
			if err := d.decodeValue(v); err != nil {
				return childFail("cannot decode argument %d: %v", i+1, err)
			}
			vals = append(vals, v)
		}
		if want := t.NumIn(); len(vals) < want && !(t.IsVariadic() && len(vals) >= want-1) {
			return childFail("bad bootstrap: it carries %d of the %d arguments of %s", len(vals), want, funcName(target))
		}
	} else {
		v := reflect.New(target.Type()).Elem()
		if err := d.decodeValue(v); err != nil {
			return childFail("cannot decode the %s: %v", target.Type(), err)
		}
		if len(d.buf) > 0 {
			return childFail("bad bootstrap: %d bytes follow the %s", len(d.buf), target.Type())
		}
		target = v
	}
	pause("target")
	trace("begin")
	code := runTarget(target, vals)
	pause("exit")
	trace("end", "code="+strconv.Itoa(code))
	return code
}

// runTarget runs the target the way Python's Process._bootstrap does:
// a panic or an error is reported on stderr under the process's name, and
// turns into exit code 1; then the exit handler runs.
func runTarget(target reflect.Value, args []reflect.Value) (code int) {
	defer Finish()
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "Process %s:\npanic: %v\n\n%s", self.current.Name, r, userStack())
			code = 1
		}
	}()
	if err := call(target, args); err != nil {
		fmt.Fprintf(os.Stderr, "Process %s:\nerror: %v\n", self.current.Name, err)
		return 1
	}
	return 0
}

func childFail(format string, args ...any) int {
	fmt.Fprintf(os.Stderr, "mp: "+format+"\n", args...)
	return 1
}

// watchParent waits for the parent to end: the parent holds the other end
// of the bootstrap socket, so EOF means the parent is gone, however it
// ended. A daemon then terminates itself, as Python's parent would have
// terminated it.
func watchParent(sock *os.File) {
	var buf [64]byte
	for {
		_, err := sock.Read(buf[:])
		if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			break
		}
	}
	self.parentGone.Store(true)
	if self.daemon {
		terminateSelf()
	}
}

func identityString(id []int) string {
	s := make([]string, len(id))
	for i, n := range id {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ":")
}

// authkey returns this process's authentication key, made on first use in
// the main process and inherited by children.
func authkey() []byte {
	self.mu.Lock()
	defer self.mu.Unlock()
	if self.authkey == nil {
		self.authkey = make([]byte, 32)
		// /dev/urandom rather than crypto/rand, whose package init would
		// slow down the start of every child.
		if f, err := os.Open("/dev/urandom"); err == nil {
			_, _ = io.ReadFull(f, self.authkey)
			f.Close()
		}
	}
	return self.authkey
}

// atExit registers f to run when this process finishes through mp: from
// Finish in the main process, and after the target in a child. Functions
// run in the reverse order of registration. mp uses it to flush queues.
func atExit(f func()) {
	self.mu.Lock()
	self.atExit = append(self.atExit, f)
	self.mu.Unlock()
}

// userStack formats the stack of a recovered panic without the frames of the
// runtime, reflect and mp, like the traceback Python prints for a child.
func userStack() string {
	pcs := make([]uintptr, 64)
	n := runtime.Callers(3, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	var b strings.Builder
	printed := false
	b.WriteString("goroutine running the target:\n")
	for {
		f, more := frames.Next()
		pkg := f.Function
		if i := strings.LastIndex(pkg, "/"); i >= 0 {
			pkg = pkg[i+1:]
		}
		ours := strings.HasPrefix(pkg, "mp.")
		if ours && printed {
			break // below this is mp starting the child
		}
		if !ours && !strings.HasPrefix(pkg, "runtime.") && !strings.HasPrefix(pkg, "reflect.") {
			fmt.Fprintf(&b, "%s(...)\n\t%s:%d\n", f.Function, f.File, f.Line)
			printed = true
		}
		if !more {
			break
		}
	}
	return b.String()
}
