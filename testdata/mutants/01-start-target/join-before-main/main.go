// Mutant join-before-main: starts all four, then joins them all before
// printing the main line. The children overlap, but main waits for them,
// which is what the exercise asks it not to do.
//
// Breaks: main does not wait
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

	var ps []*mp.Process
	for _, name := range []string{"egon", "alex", "wupeiqi", "yuanhao"} {
		p := mp.NewProcess(task, name)
		if err := p.Start(); err != nil {
			log.Fatal(err)
		}
		ps = append(ps, p)
	}
	for _, p := range ps {
		p.Join()
	}
	fmt.Printf("main pid=%d\n", os.Getpid())
}
