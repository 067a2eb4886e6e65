// Exercise 03-count-processes: how many processes do ways one and two start?
//
// Read README.md, change the places marked TODO, then run
//
//	go run ./cmd/grade ./exercises/03-count-processes
package main

import (
	"log"

	"github.com/forklore/forklore/mp"
)

// task is way one: a target function.
func task(name string) {
	// TODO: print "<name> pid=<pid> ppid=<ppid>": this process's pid
	// (os.Getpid) and its parent's (os.Getppid).
}

// Piao is way two: a type whose Run method is the target.
type Piao struct {
	Name string
}

func (p *Piao) Run() {
	// TODO: print "<name> pid=<pid> ppid=<ppid>" here too.
}

func main() {
	mp.Main(task, &Piao{})
	defer mp.Finish()

	// Two processes made each way. Before you run it: how many processes
	// does this program consist of?
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
	// TODO: print "main pid=<pid> ppid=<ppid>" for the main process.
}
