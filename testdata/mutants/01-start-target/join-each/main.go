// Mutant join-each: joins each process right after starting it. Every child
// gets its own pid, but the next one starts only after the previous one has
// ended: the processes never run at the same time.
//
// Breaks: the children run at the same time
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
		if err := p.Start(); err != nil {
			log.Fatal(err)
		}
		p.Join()
	}
	fmt.Printf("main pid=%d\n", os.Getpid())
}
