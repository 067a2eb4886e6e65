// Mutant fatal: treats the refused second Start as fatal. log.Fatal prints
// the error, but exits with code 1 and skips the deferred mp.Finish, so p
// is never joined.
//
// Breaks: the program exited with code 1
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
		log.Fatal(err)
	}
	if err := p.Start(); err != nil {
		log.Fatal(err)
	}
	if err := p.Start(); err != nil {
		log.Fatal("start again: ", err)
	}
}
