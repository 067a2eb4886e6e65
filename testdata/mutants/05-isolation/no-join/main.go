// Mutant of 05-isolation: main prints its n right after Start, without
// Join. Its n is 100 either way, but it prints before the child has even
// changed its copy, so the output proves nothing.
//
// Breaks: main prints its n only after joining the child
package main

import (
	"fmt"
	"os"

	"github.com/forklore/forklore/mp"
)

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
	fmt.Printf("main n=%d pid=%d\n", n, os.Getpid())
}
