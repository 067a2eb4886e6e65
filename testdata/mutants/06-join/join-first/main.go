// Mutant of 06-join: only the first process is joined, as if one Join waited
// for every child. Main prints while tasks 2 and 3 still sleep.
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
	var ps []*mp.Process
	for k := 1; k <= 3; k++ {
		p := mp.NewProcess(task, k)
		if err := p.Start(); err != nil {
			fmt.Println("start:", err)
			return
		}
		ps = append(ps, p)
	}
	ps[0].Join()
	fmt.Printf("main elapsed_ms=%d pid=%d\n", time.Since(start).Milliseconds(), os.Getpid())
}
