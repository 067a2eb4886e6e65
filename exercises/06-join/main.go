// Exercise 06-join: wait for three processes, and see how long that takes.
// The task is in README.md; grade it with
//
//	go run ./cmd/grade ./exercises/06-join
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/forklore/forklore/mp"
)

// unit stands for the tutorial's second, scaled down so that grading is fast.
const unit = 100 * time.Millisecond

func task(k int) {
	fmt.Printf("task %d start pid=%d\n", k, os.Getpid())
	time.Sleep(time.Duration(k) * unit)
	fmt.Printf("task %d done pid=%d\n", k, os.Getpid())
}

func main() {
	mp.Main(task)
	defer mp.Finish()

	start := time.Now()
	var ps []*mp.Process
	for k := 1; k <= 3; k++ {
		p := mp.NewProcess(task, k)
		if err := p.Start(); err != nil {
			fmt.Println("start:", err)
			return
		}
		ps = append(ps, p)
	}

	// TODO: join every process in ps, so that main prints its line after
	// all three are done. Where you join decides how long main waits.

	fmt.Printf("main elapsed_ms=%d pid=%d\n", time.Since(start).Milliseconds(), os.Getpid())
}
