// Exercise 04-start-vs-run: Run runs the target here; Start runs it in a new
// process, once.
//
// Read README.md, change the places marked TODO, then run
//
//	go run ./cmd/grade ./exercises/04-start-vs-run
package main

import (
	"fmt"
	"log"
	"os"

	"github.com/forklore/forklore/mp"
)

// task says where it runs: the pid, and the name of the process.
func task(name string) {
	fmt.Printf("%s running pid=%d process=%s\n", name, os.Getpid(), mp.CurrentProcess().Name)
}

func main() {
	mp.Main(task)
	defer mp.Finish()

	fmt.Printf("main pid=%d\n", os.Getpid())
	p := mp.NewProcess(task, "alex")

	// TODO: before starting p, call p.Run() (and handle its error). Which
	// pid and which process name does task print then?

	if err := p.Start(); err != nil {
		mp.Finish() // log.Fatal skips deferred calls: join the started ones first
		log.Fatal(err)
	}

	// TODO: call p.Start() a second time. It must fail: print
	// "start again: <the error>" and carry on, so that the program still
	// joins p and exits with code 0.
}
