// Mutant of 06-join: Join right after each Start. Each task is waited for before
// the next one starts, so the three sleeps add up (about 600 ms) instead of
// overlapping.
//
// Breaks: start all three before joining any
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
	for k := 1; k <= 3; k++ {
		p := mp.NewProcess(task, k)
		if err := p.Start(); err != nil {
			fmt.Println("start:", err)
			return
		}
		p.Join()
	}
	fmt.Printf("main elapsed_ms=%d pid=%d\n", time.Since(start).Milliseconds(), os.Getpid())
}
