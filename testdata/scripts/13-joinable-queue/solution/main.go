// Reference solution of exercises/13-joinable-queue.
package main

import (
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"time"

	"github.com/forklore/forklore/mp"
)

// producer makes three items of food, printing each line before it puts the
// item (after Put, a consumer might print first).
func producer(food string, q *mp.JoinableQueue[string]) {
	for i := range 3 {
		time.Sleep(time.Duration(10+rand.IntN(20)) * time.Millisecond)
		item := fmt.Sprintf("%s%d", food, i)
		fmt.Printf("produced %s by %d\n", item, os.Getpid())
		if err := q.Put(item); err != nil {
			log.Fatal(err)
		}
	}
}

// consumer eats items forever: it never returns, and needs no sentinel,
// because it is a daemon that ends when main ends.
func consumer(q *mp.JoinableQueue[string]) {
	for {
		item, err := q.Get()
		if err != nil {
			log.Fatal(err)
		}
		time.Sleep(time.Duration(10+rand.IntN(20)) * time.Millisecond)
		fmt.Printf("consumed %s by %d\n", item, os.Getpid())
		// TaskDone only once the item is really handled: q.Join in main
		// returns when every item put has been marked done, so marking it
		// right after Get would let main end while the item is still eaten.
		if err := q.TaskDone(); err != nil {
			log.Fatal(err)
		}
	}
}

func main() {
	mp.Main(producer, consumer)
	// Finish terminates the daemonic consumers, which are blocked in Get by
	// then, and joins the rest.
	defer mp.Finish()

	q := mp.NewJoinableQueue[string](0)
	var producers []*mp.Process
	for _, food := range []string{"bone", "meat"} {
		p := mp.NewProcess(producer, food, q)
		if err := p.Start(); err != nil {
			mp.Finish() // log.Fatal skips deferred calls: join the started ones first
			log.Fatal(err)
		}
		producers = append(producers, p)
	}
	for range 3 {
		c := mp.NewProcess(consumer, q)
		// A daemon is terminated when main ends. Without it, Finish would
		// wait forever for consumers that never return.
		c.Daemon = true
		if err := c.Start(); err != nil {
			mp.Finish()
			log.Fatal(err)
		}
	}

	// Join the producers first: every item is put once they have ended.
	// Then q.Join waits until each of those items is marked done.
	for _, p := range producers {
		p.Join()
	}
	q.Join()
	fmt.Printf("main done pid=%d\n", os.Getpid())
}
