// Exercise 01-start-target: start four processes with a target function.
//
// Read README.md, change the places marked TODO, then run
//
//	go run ./cmd/grade ./exercises/01-start-target
package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"time"

	"github.com/forklore/forklore/mp"
)

// task is the work one process does. It prints its pid on both lines, so
// that the grader (and you) can tell the processes apart.
func task(name string) {
	fmt.Printf("%s run pid=%d\n", name, os.Getpid())
	time.Sleep(time.Duration(20+rand.IntN(60)) * time.Millisecond)
	fmt.Printf("%s end pid=%d\n", name, os.Getpid())
}

func main() {
	mp.Main(task)
	defer mp.Finish()

	for _, name := range []string{"egon", "alex", "wupeiqi", "yuanhao"} {
		// TODO: this calls task right here, in the main process, one name
		// after the other. Run each call in a process of its own instead:
		// mp.NewProcess(task, name), then Start it (and handle its error).
		task(name)
	}
	// TODO: once the four processes are started, this line should not wait
	// for them: leave it where it is, and do not Join before it.
	fmt.Printf("main pid=%d\n", os.Getpid())
}
