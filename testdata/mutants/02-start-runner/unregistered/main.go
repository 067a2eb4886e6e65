// Mutant unregistered: forgets to pass the Piao type to mp.Main. Start then
// fails with mp.ErrNotRegistered, because a child (the program executed
// again) would not know how to make a Piao; the program exits with code 1.
//
// Breaks: the program exited with code 1
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
	mp.Main()
	defer mp.Finish()

	for _, name := range []string{"egon", "alex", "wupeiqi", "yuanhao"} {
		p := mp.NewProcess(&Piao{Name: name})
		p.Name = name
		if err := p.Start(); err != nil {
			mp.Finish()
			log.Fatal(err)
		}
	}
	fmt.Printf("main pid=%d\n", os.Getpid())
}
