// Reference solution of exercises/12-producer-consumer.
package main

import (
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"time"

	"github.com/forklore/forklore/mp"
)

// sentinel is the item that means "nothing more will come", as None does in
// the Python original. No real item is the empty string, so a consumer can
// tell them apart.
const sentinel = ""

// producer makes three items of food. It prints each line before putting the
// item: once the item is on the queue a consumer may eat it at once, and a
// line printed after Put could come after the consumer's.
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

// consumer eats items until it gets a sentinel. Get waits while the queue is
// empty: an empty queue only means the producers have not caught up, so the
// sentinel is the one sure sign that the work is over.
func consumer(q *mp.Queue[string]) {
	for {
		item, err := q.Get()
		if err != nil {
			log.Fatal(err)
		}
		if item == sentinel {
			fmt.Printf("stopped by %d\n", os.Getpid())
			return
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

	// Every item is on the queue once both producers have ended, so only
	// now may the sentinels go after them: a sentinel put earlier would
	// overtake items still to come.
	for _, p := range producers {
		p.Join()
	}
	// One sentinel per consumer: a consumer stops after the first one it
	// gets, so each of the three needs its own.
	for range consumers {
		if err := q.Put(sentinel); err != nil {
			log.Fatal(err)
		}
	}
	for _, c := range consumers {
		c.Join()
	}
	fmt.Printf("main done pid=%d\n", os.Getpid())
}
