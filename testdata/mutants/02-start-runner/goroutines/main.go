// Mutant goroutines: runs each Run method in a goroutine, the Go habit for
// "run this concurrently". The four overlap, but they all live in the main
// process: one pid, one memory, no new process.
//
// Breaks: the four children are four processes
package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"github.com/forklore/forklore/mp"
)

type Piao struct {
	Name string
}

func (p *Piao) Run() {
	me := mp.CurrentProcess().Name
	fmt.Printf("%s run pid=%d process=%s\n", p.Name, os.Getpid(), me)
	time.Sleep(time.Duration(20+rand.IntN(60)) * time.Millisecond)
	fmt.Printf("%s end pid=%d process=%s\n", p.Name, os.Getpid(), me)
}

func main() {
	mp.Main(&Piao{})
	defer mp.Finish()

	var wg sync.WaitGroup
	defer wg.Wait()
	for _, name := range []string{"egon", "alex", "wupeiqi", "yuanhao"} {
		wg.Go((&Piao{Name: name}).Run)
	}
	fmt.Printf("main pid=%d\n", os.Getpid())
}
