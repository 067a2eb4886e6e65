package mp_test

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/forklore/forklore/mp"
)

// greet is a target function: the first way to make a process.
func greet(name string) {
	fmt.Println(name, "is running in a child process")
}

// Piao is a type with a Run method: the second way, Go's form of
// subclassing Process and overriding run. Its exported fields carry the data.
type Piao struct {
	Name string
}

func (p *Piao) Run() {
	fmt.Println(p.Name, "is running as", mp.CurrentProcess().Name)
}

// countdown prints and sleeps: a child that takes a while. It sets
// started once it has printed its first line.
func countdown(n int, started *mp.Event) {
	for i := n; i > 0; i-- {
		fmt.Println(i)
		started.Set()
		time.Sleep(time.Minute)
	}
	fmt.Println("done")
}

// A program passes its targets to mp.Main, whose call is the first
// statement of main; this example's targets are registered in TestMain.
func ExampleNewProcess() {
	p := mp.NewProcess(greet, "alex")
	if err := p.Start(); err != nil {
		fmt.Println(err)
		return
	}
	p.Join()
	code, _ := p.ExitCode()
	fmt.Println("exit code", code)
	// Output:
	// alex is running in a child process
	// exit code 0
}

func ExampleNewProcess_runMethod() {
	p := mp.NewProcess(&Piao{Name: "egon"})
	p.Name = "ticket-office"
	if err := p.Start(); err != nil {
		fmt.Println(err)
		return
	}
	p.Join()
	// Output:
	// egon is running as ticket-office
}

// Start runs the target in a new process; Run runs it right here.
func ExampleProcess_Run() {
	p := mp.NewProcess(greet, "wupeiqi")
	p.Run() // same pid as the caller: no process was started
	fmt.Println("pid after Run:", p.Pid())
	// Output:
	// wupeiqi is running in a child process
	// pid after Run: 0
}

// Terminate sends SIGTERM and returns at once: the child may still be
// alive right after it. Join waits until it is gone; its "done" line
// never appears.
func ExampleProcess_Terminate() {
	started := mp.NewEvent()
	p := mp.NewProcess(countdown, 100, started)
	p.Start()
	started.Wait() // not a sleep: how long a start takes depends on the machine
	p.Terminate()
	p.Join()
	code, _ := p.ExitCode()
	fmt.Println("alive:", p.IsAlive(), "exit code:", code)
	// Output:
	// 100
	// alive: false exit code: -15
}

// Start returns as soon as the child exists; the child then needs a moment
// before it runs. Join is what makes the parent wait for the child.
func ExampleProcess_Join() {
	p := mp.NewProcess(greet, "yuanhao")
	p.Start()
	p.Join()
	fmt.Println("the child has finished, so this line comes last")
	// Output:
	// yuanhao is running in a child process
	// the child has finished, so this line comes last
}

// A child has its own copy of every variable: n stays 100 in the parent.
func ExampleProcess_Start_isolation() {
	p := mp.NewProcess(setGlobal, os.Stdout, 0)
	p.Start()
	p.Join()
	fmt.Println("parent:", global)
	// Output:
	// 0
	// parent: 100
}

// produceWords puts words on a queue; the parent gets them.
func produceWords(q *mp.Queue[string], words []string) {
	for _, w := range words {
		q.Put(w)
	}
}

// A Queue reaches a child as an argument of NewProcess. Get the items
// before joining the producer: a producer whose items nobody gets cannot
// finish flushing them, and Join would wait forever (Python's pitfall too).
func ExampleNewQueue() {
	q := mp.NewQueue[string](0)
	p := mp.NewProcess(produceWords, q, []string{"bone", "meat", "bread"})
	p.Start()
	for range 3 {
		w, _ := q.Get()
		fmt.Println("got", w)
	}
	p.Join()
	// Output:
	// got bone
	// got meat
	// got bread
}

// shout answers every message in upper case, until EOF.
func shout(c *mp.Conn) {
	for {
		var s string
		if err := c.Recv(&s); err != nil {
			return
		}
		c.Send(strings.ToUpper(s))
	}
}

// Recv returns io.EOF only when every copy of the other end is closed: the
// parent closes its copy of the child's end right after Start, or the
// child would never see EOF.
func ExamplePipe() {
	parent, child := mp.Pipe()
	p := mp.NewProcess(shout, child)
	p.Start()
	child.Close()
	for _, s := range []string{"hello", "bye"} {
		parent.Send(s)
		var reply string
		parent.Recv(&reply)
		fmt.Println(reply)
	}
	parent.Close() // the child's Recv now returns io.EOF, and it ends
	p.Join()
	// Output:
	// HELLO
	// BYE
}
