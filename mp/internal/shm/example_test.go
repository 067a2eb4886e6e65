package shm_test

import (
	"fmt"
	"time"

	"github.com/forklore/forklore/mp/internal/shm"
)

// Lay out a Mutex, a Sem and a Ring back to back in one region. A child
// would receive r.File() in exec.Cmd.ExtraFiles, call OpenRegion on the
// descriptor, and open each primitive at the same offset.
func Example() {
	const (
		offMutex = 0
		offSem   = offMutex + shm.MutexSize
		offRing  = offSem + shm.SemSize
	)
	r, err := shm.NewRegion(offRing + shm.RingSize(1024))
	if err != nil {
		panic(err)
	}
	defer r.Close()

	m, _ := shm.OpenMutex(r, offMutex) // zero bytes: an unlocked mutex
	m.LockAs("MainProcess")
	pid, name, held := m.Holder()
	fmt.Println(pid > 0, name, held)
	m.Unlock()
	fmt.Println(m.Unlock())

	s, _ := shm.InitSem(r, offSem, 1, 1) // a BoundedSemaphore(1)
	fmt.Println(s.TryAcquire(), s.TryAcquire(), s.Release(), s.Release())

	q, _ := shm.InitRing(r, offRing, 1024)
	q.PutBatch([][]byte{[]byte("one"), []byte("two")}, time.Time{})
	a, _ := q.Get(nil, time.Time{})
	b, _ := q.Get(nil, time.Time{})
	_, err = q.Get(nil, time.Now())
	fmt.Printf("%s %s %v\n", a, b, err)
	// Output:
	// true MainProcess true
	// shm: semaphore or lock released too many times
	// true false <nil> shm: semaphore or lock released too many times
	// one two shm: deadline passed
}
