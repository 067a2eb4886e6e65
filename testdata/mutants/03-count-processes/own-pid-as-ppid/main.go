// Mutant own-pid-as-ppid: a child prints its own pid twice, a copy-paste
// slip that makes every child look like its own parent.
//
// Breaks: every child's parent is the main process
package main

import (
	"fmt"
	"log"
	"os"

	"github.com/forklore/forklore/mp"
)

func task(name string) {
	fmt.Printf("%s pid=%d ppid=%d\n", name, os.Getpid(), os.Getpid())
}

type Piao struct {
	Name string
}

func (p *Piao) Run() {
	fmt.Printf("%s pid=%d ppid=%d\n", p.Name, os.Getpid(), os.Getpid())
}

func main() {
	mp.Main(task, &Piao{})
	defer mp.Finish()

	ps := []*mp.Process{
		mp.NewProcess(task, "egon"),
		mp.NewProcess(task, "alex"),
		mp.NewProcess(&Piao{Name: "wupeiqi"}),
		mp.NewProcess(&Piao{Name: "yuanhao"}),
	}
	for _, p := range ps {
		if err := p.Start(); err != nil {
			mp.Finish()
			log.Fatal(err)
		}
	}
	fmt.Printf("main pid=%d ppid=%d\n", os.Getpid(), os.Getppid())
}
