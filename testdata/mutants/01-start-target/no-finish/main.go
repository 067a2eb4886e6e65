// Mutant no-finish: drops `defer mp.Finish()`, reading "main does not wait"
// too literally. Go has no exit handlers, so main returns while the children
// still sleep: they outlive the program, which Python never allows.
//
// Breaks: every child is joined before the program ends
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

	for _, name := range []string{"egon", "alex", "wupeiqi", "yuanhao"} {
		p := mp.NewProcess(task, name)
		if err := p.Start(); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Printf("main pid=%d\n", os.Getpid())
}
