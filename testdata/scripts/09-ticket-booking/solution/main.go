// Reference solution of exercises/09-ticket-booking.
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
func buy(i int) {
	n := load()
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
	// Buying is a read, a check and a write: one buyer at a time, as
	// Python's `with mutex:`. The lock is held until buy returns.
	mutex.Lock()
	defer mutex.Unlock()
	buy(i)
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
