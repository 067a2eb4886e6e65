// Exercise 11-queue-between-processes: three children send a message each to
// their parent through one Queue.
//
// Read README.md, change the places marked TODO, then run
//
//	go run ./cmd/grade ./exercises/11-queue-between-processes
package main

import (
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"time"

	"github.com/forklore/forklore/mp"
)

// Message is what a child puts on the queue. It travels encoded, as Python
// pickles a list, so the parent gets an equal copy.
type Message struct {
	Child int
	Pid   int
}

// TODO: take the queue as a second parameter, q *mp.Queue[Message].
func child(i int) {
	time.Sleep(time.Duration(10+rand.IntN(31)) * time.Millisecond)
	// TODO: put Message{Child: i, Pid: os.Getpid()} on q (handle the error
	// Put returns) before printing that you did.
	fmt.Printf("child %d put pid=%d\n", i, os.Getpid())
}

func main() {
	mp.Main(child)
	defer mp.Finish()

	// TODO: make one queue here, q := mp.NewQueue[Message](0), and pass it
	// to every child: mp.NewProcess(child, i, q).
	var children []*mp.Process
	for i := range 3 {
		p := mp.NewProcess(child, i)
		if err := p.Start(); err != nil {
			mp.Finish() // log.Fatal skips deferred calls: join the started ones first
			log.Fatal(err)
		}
		children = append(children, p)
	}

	// TODO: before joining, get the three messages with q.Get(), printing
	//	main got child <i> pid=<pid>
	// for each, with the child number and pid the message carries.

	for _, p := range children {
		if err := p.Join(); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Printf("main joined pid=%d\n", os.Getpid())
}
