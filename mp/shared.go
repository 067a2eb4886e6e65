package mp

import (
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/forklore/forklore/mp/internal/shm"
)

// Every synchronisation handle (Lock, Semaphore, Event, Condition, Value,
// Queue) keeps its state in a region of shared memory that all processes
// holding the handle map: a memfd on Linux, passed to children as an
// inherited descriptor. Blocking uses futexes on words in the region, as
// the POSIX semaphores under Python's multiprocessing do. docs/how-mp-works.md
// explains why not flock or a coordinator process.

// shared is the part every shared-memory handle has.
type shared struct {
	region *shm.Region
	id     string // names the object in traces; the same in every process
}

var handleCount atomic.Int64

// newShared makes a region of size bytes for a new object of the given kind.
// Failing to make one means the process ran out of descriptors or memory;
// the constructors' signatures (Python's) have no error, so it panics.
func newShared(kind string, size int) shared {
	r, err := shm.NewRegion(size)
	if err != nil {
		panic(fmt.Sprintf("mp: cannot create a %s: %v", kind, err))
	}
	return shared{region: r, id: kind + strconv.Itoa(os.Getpid()) + "." + strconv.FormatInt(handleCount.Add(1), 10)}
}

func (s *shared) encodeShared(e *encoder, kind string) error {
	if err := e.addFileOf(s.region.File(), kind); err != nil {
		return err
	}
	e.appendString(s.id)
	return nil
}

func (s *shared) decodeShared(d *decoder) error {
	fd, err := d.file()
	if err != nil {
		return err
	}
	r, err := shm.OpenRegion(os.NewFile(uintptr(fd), "mp-shared"))
	if err != nil {
		return fmt.Errorf("mp: cannot map an inherited object: %w", err)
	}
	s.region = r
	s.id, err = d.string()
	return err
}

// must turns a layout error into a panic: offsets are constants of this
// package, so an error is a bug in mp.
func must[T any](v T, err error) T {
	if err != nil {
		panic("mp: internal layout error: " + err.Error())
	}
	return v
}

// deadlineAfter turns a timeout into the deadline shm wants. Python treats
// a timeout <= 0 as "do not wait", and so does a deadline of now.
func deadlineAfter(d time.Duration) time.Time {
	if d <= 0 {
		return time.Now()
	}
	return time.Now().Add(d)
}
