// Exercise 10-queue-basics: put and get on a Queue(3), until it is full and
// until it is empty.
//
// Read README.md, change the places marked TODO, then run
//
//	go run ./cmd/grade ./exercises/10-queue-basics
package main

import (
	"fmt"
	"log"
	"time"

	"github.com/forklore/forklore/mp"
)

// timeout is how long the timed put and get wait (Python's timeout=3,
// scaled down).
const timeout = 100 * time.Millisecond

// outcome names what a failed put or get reported, as Python names its
// exceptions: Full or Empty.
func outcome(err error) string {
	// TODO: return "Full" when err is mp.ErrFull, and "Empty" when it is
	// mp.ErrEmpty. Test with errors.Is(err, mp.ErrFull), as Python's
	// `except queue.Full:` does.
	return fmt.Sprint(err)
}

// waited returns the milliseconds since start, rounded.
func waited(start time.Time) int64 {
	return time.Since(start).Round(time.Millisecond).Milliseconds()
}

func main() {
	mp.Main()
	defer mp.Finish()

	q := mp.NewQueue[string](3)
	for _, item := range []string{"first", "second", "third"} {
		if err := q.Put(item); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("put %s\n", item)
	}

	// TODO: the queue is full now, and a plain Put would wait for room
	// forever. Try q.PutNowait("fourth") and print its outcome:
	//	put_nowait fourth: Full

	// TODO: then try q.PutTimeout("fourth", timeout), timing it with
	// start := time.Now() and waited(start), and print:
	//	put fourth timeout=100ms: Full after <ms> ms

	for range 3 {
		item, err := q.Get()
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("get %s\n", item)
	}

	// TODO: the queue is empty now, and a plain Get would wait forever. Try
	// q.GetNowait(), then q.GetTimeout(timeout) (timed), and print:
	//	get_nowait: Empty
	//	get timeout=100ms: Empty after <ms> ms
}
