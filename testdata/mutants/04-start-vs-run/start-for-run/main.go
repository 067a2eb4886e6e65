// Mutant start-for-run: treats Run and Start as the same thing and calls
// Start where Run was asked for. The target never runs in the main process.
//
// Breaks: Run runs the target in the calling process
package main

import (
	"fmt"
	"os"

	"github.com/forklore/forklore/mp"
)

func task(name string) {
	fmt.Printf("%s running pid=%d process=%s\n", name, os.Getpid(), mp.CurrentProcess().Name)
}

func main() {
	mp.Main(task)
	defer mp.Finish()

	fmt.Printf("main pid=%d\n", os.Getpid())
	p := mp.NewProcess(task, "alex")
	for range 2 {
		if err := p.Start(); err != nil {
			fmt.Println("start again:", err)
		}
	}
}
