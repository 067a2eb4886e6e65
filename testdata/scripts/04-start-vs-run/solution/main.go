// Reference solution of exercises/04-start-vs-run.
package main

import (
	"fmt"
	"log"
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

	// Run is a plain call: task runs here, in MainProcess, with main's pid,
	// and Run returns when task does. It does not use up p.
	if err := p.Run(); err != nil {
		mp.Finish() // log.Fatal skips deferred calls: join the started ones first
		log.Fatal(err)
	}

	// Start runs task in a new process, Process-1, and returns at once.
	if err := p.Start(); err != nil {
		mp.Finish()
		log.Fatal(err)
	}

	// A process is started at most once: the second Start is refused with
	// mp.ErrStartedTwice (Python raises an AssertionError). It is an error
	// value, not a crash: report it and go on, and Finish still joins p.
	if err := p.Start(); err != nil {
		fmt.Println("start again:", err)
	}
}
