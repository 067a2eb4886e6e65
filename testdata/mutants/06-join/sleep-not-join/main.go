// Mutant of 06-join: main sleeps as long as the longest task instead of
// joining. The task started a moment after main's clock, and starting takes
// time, so main wakes up before task 3 is done.
//
// Breaks: every done line comes before the main line
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
	}
	time.Sleep(3 * unit)
	fmt.Printf("main elapsed_ms=%d pid=%d\n", time.Since(start).Milliseconds(), os.Getpid())
}
