// Mutant lock-read-only: holds the lock around reading the count only, and
// writes the new count after releasing it. Another buyer can read the old
// count while the first one pays, and both sell the same ticket.
//
// Breaks: exactly 3 buyers get a ticket
package main

import (
	"encoding/json"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"time"

	"github.com/forklore/forklore/mp"
)

// db is the ticket office's file, in the working directory: {"count": 3}.
const db = "tickets.json"

type tickets struct {
	Count int `json:"count"`
}

func load() int {
	data, err := os.ReadFile(db)
	if err != nil {
		log.Fatal(err)
	}
	var t tickets
	if err := json.Unmarshal(data, &t); err != nil {
		log.Fatalf("%s: %v", db, err)
	}
	return t.Count
}

// save replaces the file through a rename, so that a look-up, which reads
// without the lock, finds the old count or the new one and never a
// half-written file.
func save(n int) {
	data, err := json.Marshal(tickets{Count: n})
	if err != nil {
		log.Fatal(err)
	}
	tmp := fmt.Sprintf("%s.%d", db, os.Getpid())
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		log.Fatal(err)
	}
	if err := os.Rename(tmp, db); err != nil {
		log.Fatal(err)
	}
}

// search only looks: what it prints may be stale by the time the buyer buys.
func search(i int) {
	time.Sleep(time.Duration(20+rand.IntN(41)) * time.Millisecond)
	fmt.Printf("buyer %d sees %d tickets pid=%d\n", i, load(), os.Getpid())
}

// buy reads the count again, and writes it back 30 ms later (paying takes a
// moment). Between the read and the write no other buyer may read.
func buy(i int, mutex *mp.Lock) {
	mutex.Lock()
	n := load()
	mutex.Unlock()
	if n == 0 {
		fmt.Printf("buyer %d sold out pid=%d\n", i, os.Getpid())
		return
	}
	time.Sleep(30 * time.Millisecond)
	save(n - 1)
	fmt.Printf("buyer %d got a ticket pid=%d\n", i, os.Getpid())
}

func buyer(i int, mutex *mp.Lock) {
	// Look-ups need no lock: they run at the same time, and several buyers
	// may see the same count.
	search(i)
	buy(i, mutex)
}

func main() {
	mp.Main(buyer)
	defer mp.Finish()

	// One lock, made before the buyers start and passed to each of them: a
	// lock each process made for itself would exclude nobody.
	mutex := mp.NewLock()
	for i := range 10 {
		p := mp.NewProcess(buyer, i, mutex)
		if err := p.Start(); err != nil {
			mp.Finish() // log.Fatal skips deferred calls: join the started ones first
			log.Fatal(err)
		}
	}
}
