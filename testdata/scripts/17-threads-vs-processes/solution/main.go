// Reference solution of exercises/17-threads-vs-processes.
package main

import (
	"fmt"
	"log"
	"os"
	"sync"
	"time"

	"github.com/forklore/forklore/mp"
)

// counter is one variable in one process's memory. Goroutines of that
// process all see it; a child process starts with a copy of its own.
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

// child runs add in a child process and shows the child's own counter.
func child(n int) {
	add(n)
	fmt.Printf("child pid=%d counter=%d\n", os.Getpid(), counter)
}

func main() {
	mp.Main(child)
	defer mp.Finish()
	fmt.Printf("main pid=%d\n", os.Getpid())

	// Four goroutines add to the one counter of this process: 400.
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { add(100) })
	}
	wg.Wait()
	fmt.Printf("goroutines: counter=%d\n", counter)

	// The same work in four processes. Each child is this program executed
	// again, with a counter of its own that starts at 0 and ends at 100;
	// main's stays 0, even after joining them.
	counter = 0
	var procs []*mp.Process
	for range 4 {
		p := mp.NewProcess(child, 100)
		if err := p.Start(); err != nil {
			mp.Finish() // log.Fatal skips deferred calls: join the started ones first
			log.Fatal(err)
		}
		procs = append(procs, p)
	}
	for _, p := range procs {
		p.Join()
	}
	fmt.Printf("processes: counter=%d\n", counter)
	fmt.Println("why: goroutines share their process's memory, so they add to one counter; each child process adds to its own copy, so main's counter never changes")
}
