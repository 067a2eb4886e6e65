package mp

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
)

// ErrProcessDied is matched by the errors of calls that could not complete
// as asked because another process died in the middle of something they
// depended on: a Pool task whose worker died while running it, a
// Condition's Wait whose lock was held by a process that died. The error is
// a *DeadProcessError, which names that process.
var ErrProcessDied = errors.New("mp: a process died")

// A DeadProcessError says which process died, and in the middle of what.
// It matches ErrProcessDied.
type DeadProcessError struct {
	Pid  int    // the process that died
	Name string // its name, if this process knows it (a child's, the parent's), or ""
	What string // what it died in the middle of, as "while running this task"
}

func (e *DeadProcessError) Error() string {
	return "mp: " + describePid(e.Pid, e.Name) + " died " + e.What
}

func (e *DeadProcessError) Unwrap() error { return ErrProcessDied }

// deadProcess returns the error for process pid, named if it is known here.
func deadProcess(pid int, what string) *DeadProcessError {
	return &DeadProcessError{Pid: pid, Name: processName(pid), What: what}
}

// describePid names a process for a learner: "Process-3 (pid 4242)", or
// "the process with pid 4242" when its name is not known here.
func describePid(pid int, name string) string {
	if name == "" {
		return "the process with pid " + strconv.Itoa(pid)
	}
	return name + " (pid " + strconv.Itoa(pid) + ")"
}

// names remembers the names of the children this process started, so that
// a diagnostic about a dead process can name it after it has been reaped.
// It keeps the last namesKept; pids are reused only after wrapping around.
var names struct {
	sync.Mutex
	byPid map[int]string
	order []int
}

const namesKept = 4096

// rememberName records the name of a child just started.
func rememberName(pid int, name string) {
	names.Lock()
	defer names.Unlock()
	if names.byPid == nil {
		names.byPid = make(map[int]string)
	}
	if _, ok := names.byPid[pid]; !ok {
		names.order = append(names.order, pid)
		if len(names.order) > namesKept {
			delete(names.byPid, names.order[0])
			names.order = names.order[1:]
		}
	}
	names.byPid[pid] = name
}

// processName returns the name of process pid if this process knows it:
// itself, its parent, or a child it started.
func processName(pid int) string {
	switch {
	case pid == selfPid:
		return CurrentProcess().Name
	case self.parent != nil && pid == self.parent.pid:
		return self.parent.Name
	}
	names.Lock()
	defer names.Unlock()
	return names.byPid[pid]
}

// diagnostics is where diagnose writes; nil means os.Stderr at the time of
// writing (tests swap os.Stderr around a Start to catch a child's lines).
var diagnostics struct {
	sync.Mutex
	w io.Writer
}

// diagnose prints one line about a fault, prefixed "mp: ", on stderr: what
// a learner sees when a process died in the middle of an operation.
func diagnose(format string, args ...any) {
	diagnostics.Lock()
	defer diagnostics.Unlock()
	w := diagnostics.w
	if w == nil {
		w = os.Stderr
	}
	fmt.Fprintf(w, "mp: "+format+"\n", args...)
}

// me names this process in diagnostics.
func me() string { return describePid(selfPid, CurrentProcess().Name) }
