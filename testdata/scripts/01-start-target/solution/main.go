// Reference solution of exercises/01-start-target.
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
	// Main registers task, so that a child (this program executed again)
	// knows what to run; in a child it runs task and never returns.
	mp.Main(task)
	// Finish joins the children when main returns, as Python does at the
	// end of the main module; without it they would outlive the program.
	defer mp.Finish()

	for _, name := range []string{"egon", "alex", "wupeiqi", "yuanhao"} {
		// Way one: a target function and its arguments. Start returns as
		// soon as the child exists, so the four children overlap.
		p := mp.NewProcess(task, name)
		if err := p.Start(); err != nil {
			mp.Finish() // log.Fatal skips deferred calls: join the started ones first
			log.Fatal(err)
		}
	}
	// Nothing waits here: a child needs a moment before it runs, so this
	// line usually comes before the children's first lines.
	fmt.Printf("main pid=%d\n", os.Getpid())
}
