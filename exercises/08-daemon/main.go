// Exercise 08-daemon: a child that ends with main, one that main waits for,
// and a daemon that tries to have a child. The task is in README.md; grade
// it with
//
//	go run ./cmd/grade ./exercises/08-daemon
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
	// TODO: make s a daemon, and see what happens when it starts a child.
	if err := s.Start(); err != nil {
		fmt.Println("start:", err)
		return
	}
	s.Join()

	d := mp.NewProcess(guard)
	// TODO: make d a daemon too, before it starts.
	w := mp.NewProcess(worker)
	for _, p := range []*mp.Process{d, w} {
		if err := p.Start(); err != nil {
			fmt.Println("start:", err)
			return
		}
	}

	fmt.Printf("main end pid=%d\n", os.Getpid())
}
