// Mutant swapped-main: the main process prints its parent's pid as its own,
// and its own as its parent's. The children's ppid then names a process
// that is not "main".
//
// Breaks: every child's parent is the main process
package main

import (
	"fmt"
	"log"
	"os"

	"github.com/forklore/forklore/mp"
)

func report(name string, pid, ppid int) {
	fmt.Printf("%s pid=%d ppid=%d\n", name, pid, ppid)
}

func task(name string) {
	report(name, os.Getpid(), os.Getppid())
}

type Piao struct {
	Name string
}

func (p *Piao) Run() {
	report(p.Name, os.Getpid(), os.Getppid())
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
	report("main", os.Getppid(), os.Getpid())
}
