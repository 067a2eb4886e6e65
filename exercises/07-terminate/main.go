// Exercise 07-terminate: end a running child, and watch what IsAlive and
// ExitCode say about it. The task is in README.md; grade it with
//
//	go run ./cmd/grade ./exercises/07-terminate
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/forklore/forklore/mp"
)

// unit stands for the tutorial's second, scaled down so that grading is fast.
const unit = 50 * time.Millisecond

// task would take 40 units; main ends it long before, even on a busy machine.
func task() {
	fmt.Printf("child start pid=%d\n", os.Getpid())
	time.Sleep(40 * unit)
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
	time.Sleep(unit) // let the child get going

	// TODO: end the child here with p.Terminate(), so that it never prints
	// its done line.
	fmt.Printf("after terminate alive=%t\n", p.IsAlive())

	p.Join()
	fmt.Printf("after join alive=%t\n", p.IsAlive())
	code, _ := p.ExitCode()
	fmt.Printf("exit code=%d\n", code)
}
