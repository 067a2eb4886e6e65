// Mutant ignore-error: calls Start twice and drops the second error, as
// one would after a call that cannot fail. The program runs fine, but
// nobody learns that the second Start was refused.
//
// Breaks: the second Start fails, and the program prints
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
	p.Start()
}
