// Reference solution of exercises/19-child-results.
package main

import (
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"time"

	"github.com/forklore/forklore/mp"
)

// parts is how many pieces the sum 1+2+...+1000 is cut into: one child
// process, or one pool task, adds up each piece.
const parts = 4

// Result is what a child puts on the queue: which part it added up, and
// the sum. It travels encoded, so the parent gets an equal copy.
type Result struct {
	Part int
	Sum  int
}

// partSum adds up part i of 1..1000: 1..250 for part 0, 251..500 for
// part 1, and so on. It takes a moment, as real work would.
func partSum(i int) int {
	time.Sleep(time.Duration(10+rand.IntN(21)) * time.Millisecond)
	sum := 0
	for n := i*250 + 1; n <= (i+1)*250; n++ {
		sum += n
	}
	return sum
}

// child is the target of part 1. What a target returns goes nowhere, and
// what it stores in a variable stays in its own memory: the result reaches
// the parent only as an item on the queue.
func child(i int, q *mp.Queue[Result]) {
	r := Result{Part: i, Sum: partSum(i)}
	if err := q.Put(r); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("child %d put sum=%d pid=%d\n", i, r.Sum, os.Getpid())
}

// task is the task of part 2: a pool worker returns its result, and the
// pool carries it back to the AsyncResult.
func task(i int) int {
	fmt.Printf("task %d start pid=%d\n", i, os.Getpid())
	sum := partSum(i)
	fmt.Printf("task %d end pid=%d\n", i, os.Getpid())
	return sum
}

func main() {
	mp.Main(child, task)
	defer mp.Finish()
	fmt.Printf("main pid=%d\n", os.Getpid())

	// Part 1: one queue, passed to every child.
	q := mp.NewQueue[Result](0)
	var children []*mp.Process
	for i := range parts {
		p := mp.NewProcess(child, i, q)
		if err := p.Start(); err != nil {
			mp.Finish() // log.Fatal skips deferred calls: join the started ones first
			log.Fatal(err)
		}
		children = append(children, p)
	}
	// Exactly one Get per child started: each waits until a result comes,
	// so none is missed, and a Get more would wait forever. Get before
	// Join: a child may not exit before its items are taken.
	total := 0
	for range children {
		r, err := q.Get()
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("main got part %d sum=%d\n", r.Part, r.Sum)
		total += r.Sum
	}
	for _, p := range children {
		if err := p.Join(); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Println("main joined")
	fmt.Printf("queue total=%d\n", total)

	// Part 2: a pool's task returns its result. Submit every task, then
	// Get each result.
	pool, err := mp.NewPool(mp.PoolConfig{Processes: parts})
	if err != nil {
		log.Fatal(err)
	}
	var results []*mp.AsyncResult[int]
	for i := range parts {
		results = append(results, mp.ApplyAsync[int](pool, task, i))
	}
	total = 0
	for i, r := range results {
		sum, err := r.Get()
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("pool part %d sum=%d\n", i, sum)
		total += sum
	}
	if err := pool.Close(); err != nil {
		log.Fatal(err)
	}
	if err := pool.Join(); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("pool total=%d\n", total)
}
