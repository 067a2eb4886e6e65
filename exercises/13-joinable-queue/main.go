// Exercise 13-joinable-queue: daemonic consumers, TaskDone and Join.
//
// Read README.md, change the places marked TODO, then run
//
//	go run ./cmd/grade ./exercises/13-joinable-queue
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

// consumer eats items forever: there is no sentinel this time.
func consumer(q *mp.JoinableQueue[string]) {
	for {
		item, err := q.Get()
		if err != nil {
			log.Fatal(err)
		}
		time.Sleep(time.Duration(10+rand.IntN(20)) * time.Millisecond)
		fmt.Printf("consumed %s by %d\n", item, os.Getpid())
		// TODO: tell the queue that this item is handled: q.TaskDone()
		// (it returns an error).
	}
}

func main() {
	mp.Main(producer, consumer)
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
		// TODO: a consumer never returns, and mp.Finish waits for every
		// child that is not a daemon. Make it a daemon before Start.
		if err := c.Start(); err != nil {
			mp.Finish()
			log.Fatal(err)
		}
	}

	for _, p := range producers {
		p.Join()
	}
	// TODO: every item is on the queue now, but some are still being eaten.
	// Wait until each one is marked done: q.Join().
	fmt.Printf("main done pid=%d\n", os.Getpid())
}
