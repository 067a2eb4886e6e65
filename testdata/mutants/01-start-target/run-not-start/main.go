// Mutant run-not-start: calls p.Run() instead of p.Start(), as a learner
// might from the method's name. Run executes task in the calling process, so
// the four "children" all have the main pid and run one after the other.
//
// Breaks: the four children are four processes
package main

import (
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"time"

	"github.com/forklore/forklore/mp"
)

func task(name string) {
	fmt.Printf("%s run pid=%d\n", name, os.Getpid())
	time.Sleep(time.Duration(20+rand.IntN(60)) * time.Millisecond)
	fmt.Printf("%s end pid=%d\n", name, os.Getpid())
}

func main() {
	mp.Main(task)
	defer mp.Finish()

	for _, name := range []string{"egon", "alex", "wupeiqi", "yuanhao"} {
		p := mp.NewProcess(task, name)
		if err := p.Run(); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Printf("main pid=%d\n", os.Getpid())
}
