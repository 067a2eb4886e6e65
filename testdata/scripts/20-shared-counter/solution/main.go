// Reference solution of exercises/20-shared-counter.
package main

import (
	"fmt"
	"log"
	"os"
	"time"

	"github.com/forklore/forklore/mp"
)

const (
	clerks  = 4 // processes counting at once
	ballots = 9 // ballots each clerk counts
)

// candidates are the names on the ballots; tally[c] counts candidates[c].
var candidates = []string{"ann", "bob", "cat"}

// vote returns the candidate that ballot j of clerk w is for. The pattern
// is fixed, so the right result is known: every clerk gives each candidate
// 3 votes, 12 votes each in all.
func vote(w, j int) int { return (w + j) % len(candidates) }

// record adds one vote for candidate c: it reads the count, checks the
// ballot (a moment), and writes the count plus one. Each Get and Set takes
// the array's lock, but only for itself: between them another clerk may
// read the same count.
func record(tally *mp.Array[int64], c int) {
	n := tally.Get(c)
	time.Sleep(time.Millisecond)
	tally.Set(c, n+1)
}

func clerk(w int, tally *mp.Array[int64], counted *mp.Value[int64]) {
	fmt.Printf("clerk %d start pid=%d\n", w, os.Getpid())
	for j := range ballots {
		// The read, the check and the write are one step: hold the array's
		// lock around all three, as Python's `with tally.get_lock():`. It
		// is an RLock, so Get and Set inside take it again.
		tally.Lock()
		record(tally, vote(w, j))
		tally.Unlock()
		// Add reads, adds and writes under the Value's lock: Python's
		// `with counted.get_lock(): counted.value += 1`.
		counted.Add(1)
	}
	fmt.Printf("clerk %d done pid=%d\n", w, os.Getpid())
}

func main() {
	mp.Main(clerk)
	defer mp.Finish()
	fmt.Printf("main pid=%d\n", os.Getpid())

	// Shared memory, made before the clerks start and passed to each: every
	// clerk reads and writes the same numbers.
	tally := mp.NewArray(make([]int64, len(candidates)))
	counted := mp.NewValue[int64](0)
	var ps []*mp.Process
	for w := range clerks {
		p := mp.NewProcess(clerk, w, tally, counted)
		if err := p.Start(); err != nil {
			mp.Finish() // log.Fatal skips deferred calls: join the started ones first
			log.Fatal(err)
		}
		ps = append(ps, p)
	}
	for _, p := range ps {
		if err := p.Join(); err != nil {
			log.Fatal(err)
		}
	}

	fmt.Printf("counted=%d\n", counted.Load())
	for c, n := range tally.Snapshot() {
		fmt.Printf("votes %s=%d\n", candidates[c], n)
	}
}
