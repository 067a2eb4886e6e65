package mp

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"weak"

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
// cleanup (runtime.AddCleanup) on the handle, or mapped, unmaps the region
// and closes the descriptor. The kernel frees the memory with the last mapping and
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
	rr := &regionRelease{region: r}
	runtime.AddCleanup(h, (*regionRelease).release, rr)
	wp := weak.Make(h)
	regions.Lock()
	regions.handles = append(regions.handles, heldRegion{alive: func() bool { return wp.Value() != nil }, rr: rr})
	regions.Unlock()
}

// A regionRelease gives its region back once, whichever comes first: the
// handle's cleanup, or mapped finding the handle gone.
type regionRelease struct {
	region *shm.Region
	done   atomic.Bool
}

func (rr *regionRelease) release() {
	if rr.done.Swap(true) {
		return
	}
	n := len(rr.region.Bytes())
	_ = rr.region.Close() // the descriptor may be closed already (Conn.Close)
	regions.live.Add(-1)
	regions.liveBytes.Add(int64(-n))
}

// heldRegion is a region and whether its handle is still reachable.
type heldRegion struct {
	alive func() bool // reads a weak pointer to the handle
	rr    *regionRelease
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
//
// Cleanups run on goroutines of their own, which a busy machine may run
// late; so after collecting, mapped itself gives back every region whose
// handle the collection found unreachable (its weak pointer is nil by
// then), and the number of mappings stays bounded however busy the
// machine is.
var regions struct {
	sync.Mutex
	handles []heldRegion // every region released with a handle, and not yet given back

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
	defer regions.collecting.Store(false)
	regions.since.Store(0)
	regions.sinceBytes.Store(0)
	runtime.GC()
	regions.Lock()
	kept := regions.handles[:0]
	var gone []*regionRelease
	for _, h := range regions.handles {
		switch {
		case h.rr.done.Load():
		case h.alive():
			kept = append(kept, h)
		default:
			gone = append(gone, h.rr)
		}
	}
	clear(regions.handles[len(kept):])
	regions.handles = kept
	regions.Unlock()
	for _, rr := range gone {
		rr.release()
	}
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
