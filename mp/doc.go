// Package mp provides processes, locks, queues and pipes with the semantics
// of Python's multiprocessing package, over real OS processes.
//
// A Process runs a target in a new process with its own pid and its own
// memory, as multiprocessing.Process does. Nothing is simulated with
// goroutines: terminate sends a real SIGTERM, exit codes are real, and a
// child that changes a global changes its own copy only.
//
// # Starting a program with mp
//
// Go cannot fork a running program, so a child is the same program executed
// again, as with Python's "spawn" start method. Main must therefore be the
// first statement of main: in the main process it registers the targets and
// returns; in a child it runs the child's target and exits. It plays the
// part of Python's `if __name__ == '__main__':` guard.
//
//	func worker(name string) {
//		fmt.Println(name, "runs in", os.Getpid())
//	}
//
//	func main() {
//		mp.Main(worker)
//		defer mp.Finish()
//		p := mp.NewProcess(worker, "alex")
//		if err := p.Start(); err != nil {
//			log.Fatal(err)
//		}
//		p.Join()
//	}
//
// # Two ways to make a process
//
// A target is either a top-level function, given its arguments in
// NewProcess, or a value whose type has a Run method, which is Go's form of
// subclassing Process and overriding run. Both are registered by passing
// them to Main. Function literals cannot be targets, for the same reason
// Python's spawn cannot pickle a lambda: the new process has only the
// program's code, not the closure's variables.
//
// # Pitfalls
//
//   - Arguments are copied into the child. A child that changes them, or a
//     global variable, changes its own copy only.
//   - Without `defer mp.Finish()`, main does not wait for its children.
//   - Terminate is abrupt: the child runs no deferred calls, and a Lock it
//     holds is never released. The other objects it was using (queues,
//     pipes, values, a Pool's worker) recover, and what it had in hand is
//     lost: docs/how-mp-works.md, "When a process dies inside an
//     operation", says what.
//   - A daemonic process ends with its parent and cannot have children.
package mp
