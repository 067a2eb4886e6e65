// Exercise 18-process-pool: a Pool of three workers runs Map and ApplyAsync.
//
// Read README.md, change the places marked TODO, then run
//
//	go run ./cmd/grade ./exercises/18-process-pool
package main

import (
	"fmt"
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

	// TODO: start the pool here, once:
	// pool, err := mp.NewPool(mp.PoolConfig{Processes: workers}).

	// Part 1.
	// TODO: this loop squares the items one by one, in the main process.
	// Replace it with one call, squares, err := mp.Map(pool, square, items),
	// which shares the items out among the workers and returns the results
	// in the order of the items.
	items := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	var squares []int
	for _, x := range items {
		squares = append(squares, square(x))
	}
	fmt.Printf("map: %v\n", squares)

	// Part 2.
	// TODO: submit cube(x) for x from 0 to 4 with
	// mp.ApplyAsync[int](pool, cube, x), which returns at once, and keep
	// the five *mp.AsyncResult[int]. Print `main submitted 5 tasks` only
	// when all five are submitted; then Get each result and print it.
	var cubes []int
	for x := range 5 {
		cubes = append(cubes, cube(x))
	}
	fmt.Printf("main submitted %d tasks\n", len(cubes))
	for x, y := range cubes {
		fmt.Printf("async %d -> %d\n", x, y)
	}

	// TODO: end the pool: pool.Close(), then pool.Join(), each checked for
	// an error, before printing `pool joined`.
	fmt.Println("pool joined")
}
