// Mutant of 07-terminate: the child is joined but never terminated, so it sleeps
// its full 10 units and prints its done line, and exits with 0.
//
// Breaks: the child's done line never appears
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/forklore/forklore/mp"
)

// unit stands for the tutorial's second, scaled down so that grading is fast.
const unit = 50 * time.Millisecond

// task would take 10 units; main ends it long before.
func task() {
	fmt.Printf("child start pid=%d\n", os.Getpid())
	time.Sleep(10 * unit)
	fmt.Printf("child done pid=%d\n", os.Getpid())
}

func main() {
	mp.Main(task)
	defer mp.Finish()

	p := mp.NewProcess(task)
	if err := p.Start(); err != nil {
		fmt.Println("start:", err)
		return
	}
	time.Sleep(unit)
	fmt.Printf("after terminate alive=%t\n", p.IsAlive())
	p.Join()
	fmt.Printf("after join alive=%t\n", p.IsAlive())
	code, _ := p.ExitCode()
	fmt.Printf("exit code=%d\n", code)
}
