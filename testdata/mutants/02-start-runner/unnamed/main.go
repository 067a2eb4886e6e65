// Mutant unnamed: puts the name in the Piao field only, and leaves the
// process with its default name, Process-N. In Python, self.name = name
// renames the process; here the Process's own Name must be set.
//
// Breaks: each child runs in a process named after it
package main

import (
	"fmt"
	"log"
	"math/rand/v2"
	"os"
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

	for _, name := range []string{"egon", "alex", "wupeiqi", "yuanhao"} {
		p := mp.NewProcess(&Piao{Name: name})
		if err := p.Start(); err != nil {
			mp.Finish()
			log.Fatal(err)
		}
	}
	fmt.Printf("main pid=%d\n", os.Getpid())
}
