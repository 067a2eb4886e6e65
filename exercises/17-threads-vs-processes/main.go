// Exercise 17-threads-vs-processes: one counter program, run in goroutines
// and in processes.
//
// Read README.md, change the places marked TODO, then run
//
//	go run ./cmd/grade ./exercises/17-threads-vs-processes
package main

import (
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/forklore/forklore/mp"
)

var (
	mu      sync.Mutex
	counter int
)

// add is the work: a moment of sleep, then n increments of counter.
func add(n int) {
	time.Sleep(10 * time.Millisecond)
	for range n {
		mu.Lock()
		counter++
		mu.Unlock()
	}
}

// child runs add and shows the counter it sees.
func child(n int) {
	add(n)
	fmt.Printf("child pid=%d counter=%d\n", os.Getpid(), counter)
}

func main() {
	mp.Main(child)
	defer mp.Finish()
	fmt.Printf("main pid=%d\n", os.Getpid())

	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { add(100) })
	}
	wg.Wait()
	fmt.Printf("goroutines: counter=%d\n", counter)

	counter = 0
	// TODO: these are goroutines again. Run child(100) in four processes
	// instead: mp.NewProcess(child, 100), Start each (handle the error),
	// then Join all four before printing.
	for range 4 {
		wg.Go(func() { child(100) })
	}
	wg.Wait()
	fmt.Printf("processes: counter=%d\n", counter)
	// TODO: explain the difference between the two results in one line
	// that starts with "why: ".
}
