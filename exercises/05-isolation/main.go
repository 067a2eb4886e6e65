// Exercise 05-isolation: does a child's change to a global reach its parent?
// The task is in README.md; grade it with
//
//	go run ./cmd/grade ./exercises/05-isolation
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

	// TODO: run work in a child process (mp.NewProcess, then Start), and
	// Join it before main prints its own n. Calling work() here runs it in
	// the main process, which is exactly what the exercise is not about.
	work()

	fmt.Printf("main n=%d pid=%d\n", n, os.Getpid())
}
