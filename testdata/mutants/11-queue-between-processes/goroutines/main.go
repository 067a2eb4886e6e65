// Mutant goroutines: runs each child as a goroutine, the Go habit. The
// queue works between goroutines too, and three messages arrive, but they
// all carry the main process's pid: there are no children at all.
//
// Breaks: three distinct child pids
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

	q := mp.NewQueue[Message](0)
	var children []int
	for i := range 3 {
		go child(i, q)
		children = append(children, i)
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
	// The goroutines are done: each put its message before returning.
	fmt.Printf("main joined pid=%d\n", os.Getpid())
}
