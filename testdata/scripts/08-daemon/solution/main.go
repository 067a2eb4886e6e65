// Reference solution for 08-daemon: a daemonic child ends with main, a
// non-daemonic one is waited for, and a daemon cannot have children.
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/forklore/forklore/mp"
)

// unit stands for the tutorial's second, scaled down so that grading is fast.
const unit = 50 * time.Millisecond

// guard would print its late line after 10 units, long after main has ended.
func guard() {
	fmt.Printf("daemon start pid=%d\n", os.Getpid())
	time.Sleep(10 * unit)
	fmt.Printf("daemon late pid=%d\n", os.Getpid())
}

// worker takes 6 units, so it is still running when main's code ends.
func worker() {
	fmt.Printf("worker start pid=%d\n", os.Getpid())
	time.Sleep(6 * unit)
	fmt.Printf("worker done pid=%d\n", os.Getpid())
}

// spawner tries to start a child of its own.
func spawner() {
	child := mp.NewProcess(grandchild)
	if err := child.Start(); err != nil {
		fmt.Printf("spawner error: %v\n", err)
		return
	}
	fmt.Printf("spawner started pid=%d\n", child.Pid())
}

func grandchild() {
	fmt.Printf("grandchild pid=%d\n", os.Getpid())
}

func main() {
	mp.Main(guard, worker, spawner, grandchild)
	defer mp.Finish()

	s := mp.NewProcess(spawner)
	// A daemon may not have children: Start in spawner fails with
	// mp.ErrDaemonChildren, since the daemon's own end would orphan them.
	s.Daemon = true
	if err := s.Start(); err != nil {
		fmt.Println("start:", err)
		return
	}
	// Join the spawner, or mp.Finish would terminate it (it is a daemon)
	// before it has printed its error.
	s.Join()

	d := mp.NewProcess(guard)
	// A daemon ends with main: mp.Finish terminates it before joining
	// the other children. Daemon is read at Start, so set it before.
	d.Daemon = true
	w := mp.NewProcess(worker)
	for _, p := range []*mp.Process{d, w} {
		if err := p.Start(); err != nil {
			fmt.Println("start:", err)
			return
		}
	}

	fmt.Printf("main end pid=%d\n", os.Getpid())
	// Here the deferred mp.Finish terminates d, whose late line is never
	// printed, and waits for w, which finishes its work.
}
