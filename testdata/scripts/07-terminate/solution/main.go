// Reference solution for 07-terminate: end a running child with Terminate,
// then Join it before trusting IsAlive and ExitCode.
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

	// Terminate only sends SIGTERM and returns: the child may not have died
	// yet, so IsAlive can still say true here.
	p.Terminate()
	fmt.Printf("after terminate alive=%t\n", p.IsAlive())

	// Join waits until the child has died and been reaped; only now are
	// IsAlive and ExitCode final.
	p.Join()
	fmt.Printf("after join alive=%t\n", p.IsAlive())
	code, _ := p.ExitCode()
	fmt.Printf("exit code=%d\n", code) // -15: killed by signal 15, SIGTERM
}
