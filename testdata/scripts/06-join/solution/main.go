// Reference solution for 06-join: start every process first, then join them
// all, so that they sleep at the same time.
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
	// All three are running now. Joining them one by one waits for the
	// slowest, since the others sleep during that wait: the total is about
	// 3 units, not 1+2+3. A Join inside the loop above would wait for each
	// task before starting the next.
	for _, p := range ps {
		p.Join()
	}
	fmt.Printf("main elapsed_ms=%d pid=%d\n", time.Since(start).Milliseconds(), os.Getpid())
}
