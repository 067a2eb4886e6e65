package mp

import (
	"fmt"
	"os"
	"runtime"
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
//
// Each process that has a handle owns one mapping and one descriptor for
// it, and gives them back when its last reference to the handle is gone: a
// cleanup (runtime.AddCleanup) on the handle unmaps the region and closes
// the descriptor. The kernel frees the memory with the last mapping and
// descriptor, in whichever process that is. So every method that touches
// the region ends with runtime.KeepAlive of its handle: a receiver may
// otherwise become unreachable while a pointer into its region is in use.

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
	mapped(size)
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
	mapped(len(r.Bytes()))
	s.region = r
	s.id, err = d.string()
	return err
}

// releaseWith gives r back (unmaps it, closes its descriptor) once h, the
// handle r belongs to, is unreachable in this process.
func releaseWith[T any](h *T, r *shm.Region) {
	runtime.AddCleanup(h, release, r)
}

func release(r *shm.Region) {
	n := len(r.Bytes())
	_ = r.Close() // the descriptor may be closed already (Conn.Close)
	regions.live.Add(-1)
	regions.liveBytes.Add(int64(-n))
}

// The garbage collector paces itself by the Go heap, and a region is not
// Go memory: a loop that makes and drops Locks makes a few hundred bytes of
// garbage per Lock and a page, a mapping and a descriptor that only a
// cleanup gives back. Left to itself, the collector would run once per
// ten thousand Locks, by which time the process may have run into the
// limit on mappings (vm.max_map_count, 65530 by default). So mapped
// collects when the regions mapped since the last collection outnumber the
// regions that were live before it (and at least collectEvery), or
// outweigh them in bytes (and at least collectBytes): like the collector's
// own rule, the cost of collecting stays proportional to what is made.
var regions struct {
	live, liveBytes   atomic.Int64 // regions mapped and not yet released
	since, sinceBytes atomic.Int64 // mapped since the last collection
	collecting        atomic.Bool
}

const (
	collectEvery = 1024
	collectBytes = 256 << 20
)

// mapped counts a region of n bytes just mapped, and collects garbage when
// regions have piled up since the last time.
func mapped(n int) {
	live := regions.live.Add(1)
	liveBytes := regions.liveBytes.Add(int64(n))
	since := regions.since.Add(1)
	sinceBytes := regions.sinceBytes.Add(int64(n))
	if since < max(collectEvery, live-since) && sinceBytes < max(collectBytes, liveBytes-sinceBytes) {
		return
	}
	if !regions.collecting.CompareAndSwap(false, true) {
		return
	}
	regions.since.Store(0)
	regions.sinceBytes.Store(0)
	runtime.GC()
	runtime.Gosched() // let the cleanups the collection queued start
	regions.collecting.Store(false)
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
