// Exercise 19-child-results: get results back from child processes, through
// a Queue and through a Pool.
//
// Read README.md, change the places marked TODO, then run
//
//	go run ./cmd/grade ./exercises/19-child-results
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
// the sum.
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

// sums is where the children store their results. It does not work: see
// README.md.
var sums [parts]int

// TODO: take the queue as a second parameter, q *mp.Queue[Result], and
// put Result{Part: i, Sum: ...} on it instead of storing into sums.
func child(i int) {
	sums[i] = partSum(i)
	fmt.Printf("child %d put sum=%d pid=%d\n", i, sums[i], os.Getpid())
}

// task is the task of part 2: it returns its result.
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

	// Part 1.
	// TODO: make one queue here, q := mp.NewQueue[Result](0), and pass it
	// to every child: mp.NewProcess(child, i, q).
	var children []*mp.Process
	for i := range parts {
		p := mp.NewProcess(child, i)
		if err := p.Start(); err != nil {
			mp.Finish() // log.Fatal skips deferred calls: join the started ones first
			log.Fatal(err)
		}
		children = append(children, p)
	}
	// TODO: get the results first, one q.Get() per child started, printing
	// `main got part <i> sum=<s>` for each; join the children only after
	// that.
	for _, p := range children {
		p.Join()
	}
	total := 0
	for i, s := range sums {
		fmt.Printf("main got part %d sum=%d\n", i, s)
		total += s
	}
	fmt.Println("main joined")
	fmt.Printf("queue total=%d\n", total)

	// Part 2.
	// TODO: make a pool, pool, err := mp.NewPool(mp.PoolConfig{Processes:
	// parts}). Submit every task with mp.ApplyAsync[int](pool, task, i)
	// and keep the *mp.AsyncResult[int]s; only then Get each result. End
	// the pool with pool.Close(), then pool.Join().
	total = 0
	for i := range parts {
		sum := task(i)
		fmt.Printf("pool part %d sum=%d\n", i, sum)
		total += sum
	}
	fmt.Printf("pool total=%d\n", total)
}
