// Reference solution for 05-isolation: a child changes its own copy of a
// global, never the parent's.
package main

import (
	"fmt"
	"os"

	"github.com/forklore/forklore/mp"
)

// n is initialised afresh in every process: the child is this program
// executed again, so it starts with its own n = 100, as a module global does
// under Python's spawn.
var n = 100

func work() {
	n = 0
	fmt.Printf("child n=%d pid=%d\n", n, os.Getpid())
}

func main() {
	mp.Main(work)
	defer mp.Finish()

	p := mp.NewProcess(work)
	if err := p.Start(); err != nil {
		fmt.Println("start:", err)
		return
	}
	// Join before printing, so that the child's n = 0 has certainly
	// happened: main's n is 100 all the same, because the child wrote to
	// its own memory.
	p.Join()
	fmt.Printf("main n=%d pid=%d\n", n, os.Getpid())
}
