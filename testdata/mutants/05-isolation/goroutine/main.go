// Mutant of 05-isolation: work runs in a goroutine, not a process. A
// goroutine shares the program's memory, so its n = 0 is main's n too, and
// both lines carry the same pid.
//
// Breaks: main's n stays 100
package main

import (
	"fmt"
	"os"
	"sync"

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

	var wg sync.WaitGroup
	wg.Go(work)
	wg.Wait()
	fmt.Printf("main n=%d pid=%d\n", n, os.Getpid())
}
