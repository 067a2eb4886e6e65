// Reference solution of exercises/11-queue-between-processes.
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

// child puts one message, with its own pid, on the queue it inherited.
func child(i int, q *mp.Queue[Message]) {
	time.Sleep(time.Duration(10+rand.IntN(31)) * time.Millisecond)
	if err := q.Put(Message{Child: i, Pid: os.Getpid()}); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("child %d put pid=%d\n", i, os.Getpid())
}

func main() {
	mp.Main(child)
	defer mp.Finish()

	// One queue, made in the parent and passed to each child as an argument:
	// that is how the children come to share it.
	q := mp.NewQueue[Message](0)
	var children []*mp.Process
	for i := range 3 {
		p := mp.NewProcess(child, i, q)
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
