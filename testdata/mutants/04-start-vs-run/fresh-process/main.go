// Mutant fresh-process: "starts again" with a new Process for the same
// target. That Start succeeds: a third run of the target, in Process-2, and
// no error to show that a process is started at most once.
//
// Breaks: the target runs exactly twice
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
	if err := p.Run(); err != nil {
		mp.Finish()
		log.Fatal(err)
	}
	if err := p.Start(); err != nil {
		mp.Finish()
		log.Fatal(err)
	}
	if err := mp.NewProcess(task, "alex").Start(); err != nil {
		fmt.Println("start again:", err)
	}
}
