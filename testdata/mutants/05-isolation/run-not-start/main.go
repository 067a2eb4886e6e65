// Mutant of 05-isolation: p.Run() instead of p.Start(). Run calls the target
// in the calling process, like Python's run(): no child, the same pid, and
// main's own n becomes 0.
//
// Breaks: main's n stays 100
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
	if err := p.Run(); err != nil {
		fmt.Println("run:", err)
		return
	}
	fmt.Printf("main n=%d pid=%d\n", n, os.Getpid())
}
