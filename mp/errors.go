package mp

import "errors"

// Errors returned by Process methods. Their texts follow Python's
// multiprocessing, so that a learner who reads a Python tutorial recognises
// them. Match them with errors.Is.
var (
	// ErrStartedTwice is returned by Start on a process that was started before.
	ErrStartedTwice = errors.New("mp: cannot start a process twice")

	// ErrNotStarted is returned by Join and JoinTimeout before Start, and by
	// Terminate and Kill before Start.
	ErrNotStarted = errors.New("mp: can only join a started process")

	// ErrNotChild is returned by Start, Join, JoinTimeout, Terminate and Kill
	// on the values of CurrentProcess and ParentProcess: a process can only
	// wait for and signal the children it started itself.
	ErrNotChild = errors.New("mp: can only join a child process")

	// ErrDaemonChildren is returned by Start in a daemonic process: a daemon
	// is terminated when its parent ends, and would leave its own children
	// orphaned.
	ErrDaemonChildren = errors.New("mp: daemonic processes are not allowed to have children")

	// ErrNotRegistered is wrapped by the error Start returns when the target
	// cannot run in a new process: it was not passed to mp.Main, or it is a
	// function literal.
	ErrNotRegistered = errors.New("mp: target not registered")

	// ErrNoMain is returned by Start when mp.Main has not run: without it, the
	// new process would not know it is a child and would run main again.
	ErrNoMain = errors.New("mp: mp.Main was not called: make mp.Main(targets...) the first statement of main, before anything else runs")

	// ErrNeedMpnet is wrapped by the error Start (and NewPool) returns when
	// an argument is a network connection or listener and the program does
	// not import package mpnet, which is what teaches mp to pass them. mp
	// itself does not link package net, so that programs that do not need
	// it stay statically linked and start their children faster.
	ErrNeedMpnet = errors.New("mp: network connections and listeners need package mpnet")

	// ErrInheritOnly is wrapped by the error a Queue or Conn returns when asked
	// to send a handle (a Lock, Queue, Conn, file or socket): those are shared
	// only by inheritance, as arguments of NewProcess.
	ErrInheritOnly = errors.New("shared only by inheritance")
)

// misuse is an error with its own text that matches a sentinel with
// errors.Is, for the calls where Python's wording differs from the
// sentinel's ("can only terminate a started process").
type misuse struct {
	msg      string
	sentinel error
}

func (e *misuse) Error() string { return e.msg }
func (e *misuse) Unwrap() error { return e.sentinel }
