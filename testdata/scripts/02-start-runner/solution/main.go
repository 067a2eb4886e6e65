// Reference solution of exercises/02-start-runner.
package main

import (
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"time"

	"github.com/forklore/forklore/mp"
)

// Piao plays the part of a Python subclass of Process: Run is the target,
// and the exported field crosses to the child, as attributes are pickled.
type Piao struct {
	Name string
}

func (p *Piao) Run() {
	// In the child, CurrentProcess is the Process its parent started, with
	// the name the parent gave it.
	me := mp.CurrentProcess().Name
	fmt.Printf("%s run pid=%d process=%s\n", p.Name, os.Getpid(), me)
	time.Sleep(time.Duration(20+rand.IntN(60)) * time.Millisecond)
	fmt.Printf("%s end pid=%d process=%s\n", p.Name, os.Getpid(), me)
}

func main() {
	// A Run type is registered by passing any value of it.
	mp.Main(&Piao{})
	defer mp.Finish()

	for _, name := range []string{"egon", "alex", "wupeiqi", "yuanhao"} {
		// Way two: the value is the target, so NewProcess takes no arguments.
		p := mp.NewProcess(&Piao{Name: name})
		// Python's self.name = name renames the process itself; in Go that
		// is the Process's Name, set before Start (the default is Process-N).
		p.Name = name
		if err := p.Start(); err != nil {
			mp.Finish() // log.Fatal skips deferred calls: join the started ones first
			log.Fatal(err)
		}
	}
	fmt.Printf("main pid=%d\n", os.Getpid())
}
