// Exercise 12-producer-consumer: two producers, three consumers, one queue.
//
// Read README.md, change the places marked TODO, then run
//
//	go run ./cmd/grade ./exercises/12-producer-consumer
package main

import (
	"errors"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"time"

	"github.com/forklore/forklore/mp"
)

// sentinel is the item that means "nothing more will come", as None does in
// the Python original. No real item is the empty string.
const sentinel = ""

// producer makes three items of food, printing each line before it puts the
// item on the queue (after Put, a consumer might print first).
func producer(food string, q *mp.Queue[string]) {
	for i := range 3 {
		time.Sleep(time.Duration(10+rand.IntN(20)) * time.Millisecond)
		item := fmt.Sprintf("%s%d", food, i)
		fmt.Printf("produced %s by %d\n", item, os.Getpid())
		if err := q.Put(item); err != nil {
			log.Fatal(err)
		}
	}
}

// consumer eats the items it gets from the queue.
func consumer(q *mp.Queue[string]) {
	for {
		// TODO: an empty queue does not mean the producers are done: they
		// may not have made their first item yet. Wait for each item with
		// q.Get(), and stop only when the item is the sentinel, printing
		// `stopped by <pid>` first.
		item, err := q.GetNowait()
		if errors.Is(err, mp.ErrEmpty) {
			return
		}
		if err != nil {
			log.Fatal(err)
		}
		time.Sleep(time.Duration(10+rand.IntN(20)) * time.Millisecond)
		fmt.Printf("consumed %s by %d\n", item, os.Getpid())
	}
}

func main() {
	mp.Main(producer, consumer)
	defer mp.Finish()

	q := mp.NewQueue[string](0)
	var producers, consumers []*mp.Process
	for _, food := range []string{"bone", "meat"} {
		producers = append(producers, mp.NewProcess(producer, food, q))
	}
	for range 3 {
		consumers = append(consumers, mp.NewProcess(consumer, q))
	}
	for _, p := range append(append([]*mp.Process(nil), producers...), consumers...) {
		if err := p.Start(); err != nil {
			mp.Finish() // log.Fatal skips deferred calls: join the started ones first
			log.Fatal(err)
		}
	}

	for _, p := range producers {
		p.Join()
	}
	// TODO: every item is on the queue now. Tell the consumers that no more
	// will come: put one sentinel per consumer (a consumer stops at the
	// first sentinel it gets, so one is not enough for three).
	for _, c := range consumers {
		c.Join()
	}
	fmt.Printf("main done pid=%d\n", os.Getpid())
}
