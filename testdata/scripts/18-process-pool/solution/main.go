// Reference solution of exercises/18-process-pool.
package main

import (
	"fmt"
	"log"
	"os"
	"time"

	"github.com/forklore/forklore/mp"
)

// workers is the size of the pool: however many tasks come, no more than
// three processes ever run them.
const workers = 3

// square is the task of part 1, and cube the task of part 2. Each prints
// the pid of the process that runs it, and takes a moment between its
// start and end lines, long enough that tasks run side by side overlap.
func square(x int) int {
	fmt.Printf("square %d start pid=%d\n", x, os.Getpid())
	time.Sleep(20 * time.Millisecond)
	fmt.Printf("square %d end pid=%d\n", x, os.Getpid())
	return x * x
}

func cube(x int) int {
	fmt.Printf("cube %d start pid=%d\n", x, os.Getpid())
	time.Sleep(30 * time.Millisecond)
	fmt.Printf("cube %d end pid=%d\n", x, os.Getpid())
	return x * x * x
}

func main() {
	mp.Main(square, cube)
	defer mp.Finish()
	fmt.Printf("main pid=%d\n", os.Getpid())

	// The three workers start once, here, and run every task below.
	pool, err := mp.NewPool(mp.PoolConfig{Processes: workers})
	if err != nil {
		log.Fatal(err)
	}

	// Part 1, pool.map: the items are shared out among the workers, and
	// the results come back in the order of the items, whoever ran them.
	squares, err := mp.Map(pool, square, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("map: %v\n", squares)

	// Part 2, pool.apply_async: each call returns at once with a handle on
	// the result to come. Submit every task first, then wait for each
	// result: a Get right after each ApplyAsync would wait for that task
	// to end before submitting the next, and the pool would run one at a
	// time.
	var results []*mp.AsyncResult[int]
	for x := range 5 {
		results = append(results, mp.ApplyAsync[int](pool, cube, x))
	}
	fmt.Printf("main submitted %d tasks\n", len(results))
	for x, r := range results {
		y, err := r.Get()
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("async %d -> %d\n", x, y)
	}

	// Close, then Join: no more tasks; each worker ends once it has run
	// what was submitted, and Join waits for them all.
	if err := pool.Close(); err != nil {
		log.Fatal(err)
	}
	if err := pool.Join(); err != nil {
		log.Fatal(err)
	}
	fmt.Println("pool joined")
}
