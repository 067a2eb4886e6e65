// Reference solution of exercises/03-count-processes.
package main

import (
	"fmt"
	"log"
	"os"

	"github.com/forklore/forklore/mp"
)

// report prints who this process is and who started it. Called in a child,
// Getppid is the main process, whichever way the child was made.
func report(name string) {
	fmt.Printf("%s pid=%d ppid=%d\n", name, os.Getpid(), os.Getppid())
}

func task(name string) {
	report(name)
}

type Piao struct {
	Name string
}

func (p *Piao) Run() {
	report(p.Name)
}

func main() {
	mp.Main(task, &Piao{})
	defer mp.Finish()

	// Each Start makes exactly one process, whichever way it was made: four
	// children, plus the main process, is five.
	ps := []*mp.Process{
		mp.NewProcess(task, "egon"),
		mp.NewProcess(task, "alex"),
		mp.NewProcess(&Piao{Name: "wupeiqi"}),
		mp.NewProcess(&Piao{Name: "yuanhao"}),
	}
	for _, p := range ps {
		if err := p.Start(); err != nil {
			mp.Finish() // log.Fatal skips deferred calls: join the started ones first
			log.Fatal(err)
		}
	}
	// The main process's own parent is whatever started the program: a
	// shell, go run, or the grader.
	report("main")
}
