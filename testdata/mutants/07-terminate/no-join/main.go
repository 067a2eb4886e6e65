// Mutant of 07-terminate: no Join after Terminate, as if Terminate waited for the
// child to die. IsAlive is still true a moment later, and the exit code is
// not known yet.
//
// Breaks: after Join the child is no longer alive
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
	p.Terminate()
	fmt.Printf("after terminate alive=%t\n", p.IsAlive())
	fmt.Printf("after join alive=%t\n", p.IsAlive())
	code, _ := p.ExitCode()
	fmt.Printf("exit code=%d\n", code)
}
