// Mutant way-two-run: starts the function targets, but calls Run on the
// Piao processes, reading "a type with a Run method" as "call Run". Those two
// run in the main process: three processes instead of five.
//
// Breaks: five processes in all
package main

import (
	"fmt"
	"log"
	"os"

	"github.com/forklore/forklore/mp"
)

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

	for _, name := range []string{"egon", "alex"} {
		if err := mp.NewProcess(task, name).Start(); err != nil {
			mp.Finish()
			log.Fatal(err)
		}
	}
	for _, name := range []string{"wupeiqi", "yuanhao"} {
		if err := mp.NewProcess(&Piao{Name: name}).Run(); err != nil {
			mp.Finish()
			log.Fatal(err)
		}
	}
	report("main")
}
