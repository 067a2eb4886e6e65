// Reference solution of exercises/10-queue-basics.
package main

import (
	"errors"
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
	switch {
	case errors.Is(err, mp.ErrFull):
		return "Full"
	case errors.Is(err, mp.ErrEmpty):
		return "Empty"
	case err == nil:
		return "no error"
	}
	return err.Error()
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

	// The queue holds 3: a plain Put would wait for room forever. PutNowait
	// does not wait at all (Python's put_nowait or put(block=False))...
	err := q.PutNowait("fourth")
	fmt.Printf("put_nowait fourth: %s\n", outcome(err))

	// ...and PutTimeout waits for room at most timeout (Python's
	// put(timeout=...)). A time.Duration, not a number of seconds.
	start := time.Now()
	err = q.PutTimeout("fourth", timeout)
	fmt.Printf("put fourth timeout=%dms: %s after %d ms\n", timeout.Milliseconds(), outcome(err), waited(start))

	// First in, first out.
	for range 3 {
		item, err := q.Get()
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("get %s\n", item)
	}

	// The queue is empty: a plain Get would wait forever.
	_, err = q.GetNowait()
	fmt.Printf("get_nowait: %s\n", outcome(err))

	start = time.Now()
	_, err = q.GetTimeout(timeout)
	fmt.Printf("get timeout=%dms: %s after %d ms\n", timeout.Milliseconds(), outcome(err), waited(start))
}
