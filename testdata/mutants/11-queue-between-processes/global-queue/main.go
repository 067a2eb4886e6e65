// Mutant global-queue: keeps the queue in a package-level variable instead of
// passing it to the children. A child is this program executed again, so
// its package-level variables are initialised afresh: each child puts on a
// new queue of its own, and the parent's Get waits for a message that never
// comes. (Python under spawn does the same with a module-level Queue().)
//
// Breaks: timeout, possibly a deadlock
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

// q is the queue everybody uses.
var q = mp.NewQueue[Message](0)

// child puts one message, with its own pid, on the queue.
func child(i int) {
	time.Sleep(time.Duration(10+rand.IntN(31)) * time.Millisecond)
	if err := q.Put(Message{Child: i, Pid: os.Getpid()}); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("child %d put pid=%d\n", i, os.Getpid())
}

func main() {
	mp.Main(child)
	defer mp.Finish()

	var children []*mp.Process
	for i := range 3 {
		p := mp.NewProcess(child, i)
		if err := p.Start(); err != nil {
			mp.Finish() // log.Fatal skips deferred calls: join the started ones first
			log.Fatal(err)
		}
		children = append(children, p)
	}

	// Get first: a child may not be able to exit before its items are
	// taken (see README.md), so joining first could wait forever.
	for range children {
		m, err := q.Get()
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("main got child %d pid=%d\n", m.Child, m.Pid)
	}
	// Then join.
	for _, p := range children {
		if err := p.Join(); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Printf("main joined pid=%d\n", os.Getpid())
}
