// Mutant of 08-daemon: main joins every child at the end, the daemon included, so
// the daemon is never terminated and lives to print its late line.
//
// Breaks: the daemon's late line never appears
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
	s.Daemon = true
	if err := s.Start(); err != nil {
		fmt.Println("start:", err)
		return
	}
	s.Join()

	d := mp.NewProcess(guard)
	d.Daemon = true
	w := mp.NewProcess(worker)
	for _, p := range []*mp.Process{d, w} {
		if err := p.Start(); err != nil {
			fmt.Println("start:", err)
			return
		}
	}

	fmt.Printf("main end pid=%d\n", os.Getpid())
	d.Join()
	w.Join()
}
