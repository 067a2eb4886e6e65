// Exercise 02-start-runner: start four processes from a type with a Run method.
//
// Read README.md, change the places marked TODO, then run
//
//	go run ./cmd/grade ./exercises/02-start-runner
package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"time"

	"github.com/forklore/forklore/mp"
)

// Piao is the work of one process. Its Run method is the target, as run is
// in a Python subclass of Process; its exported fields carry the data.
type Piao struct {
	Name string
}

// Run prints the person's name, the pid, and the name of the process it
// runs in, which is what mp.CurrentProcess().Name says.
func (p *Piao) Run() {
	me := mp.CurrentProcess().Name
	fmt.Printf("%s run pid=%d process=%s\n", p.Name, os.Getpid(), me)
	time.Sleep(time.Duration(20+rand.IntN(60)) * time.Millisecond)
	fmt.Printf("%s end pid=%d process=%s\n", p.Name, os.Getpid(), me)
}

func main() {
	// TODO: register the Piao type, so that a child knows how to run one:
	// pass any value of it, as in mp.Main(&Piao{}).
	mp.Main()
	defer mp.Finish()

	for _, name := range []string{"egon", "alex", "wupeiqi", "yuanhao"} {
		// TODO: this runs the Run method right here, in the main process.
		// Instead, make a process with mp.NewProcess(&Piao{Name: name}),
		// give the process the same name (its Name field), and Start it.
		piao := &Piao{Name: name}
		piao.Run()
	}
	fmt.Printf("main pid=%d\n", os.Getpid())
}
