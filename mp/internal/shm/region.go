package shm

import (
	"errors"
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A Region is a block of memory mapped shared by every process that holds
// its descriptor. Create one with NewRegion or OpenRegion; the zero value is
// not usable. A Region may be used by many goroutines at once, but Close must
// come after the last use of the region and of every handle onto it.
type Region struct {
	f   *os.File
	b   []byte
	dev uint64 // the file's device and inode: what a process that maps the
	ino uint64 // region shows in /proc/PID/maps
}

// NewRegion creates a region of size bytes, all zero, backed by an anonymous
// file that is closed on exec (pass it to a child through
// exec.Cmd.ExtraFiles, which clears that flag on the child's copy).
func NewRegion(size int) (*Region, error) {
	if size <= 0 {
		return nil, fmt.Errorf("shm: region size %d is not positive", size)
	}
	f, err := anonFile()
	if err != nil {
		return nil, err
	}
	if err := f.Truncate(int64(size)); err != nil {
		f.Close()
		return nil, fmt.Errorf("shm: sizing region: %w", err)
	}
	r, err := mapFile(f, size)
	if err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

// OpenRegion maps the region whose descriptor is f, typically one inherited
// from the process that called NewRegion. Its size is the file's size. The
// Region takes ownership of f: Close closes it.
func OpenRegion(f *os.File) (*Region, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("shm: open region: %w", err)
	}
	size := fi.Size()
	if size <= 0 || int64(int(size)) != size {
		return nil, fmt.Errorf("shm: open region: file %s has size %d", f.Name(), size)
	}
	return mapFile(f, int(size))
}

func mapFile(f *os.File, size int) (*Region, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return nil, fmt.Errorf("shm: region file: %w", err)
	}
	b, err := unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("shm: mapping region: %w", err)
	}
	return &Region{f: f, b: b, dev: uint64(st.Dev), ino: uint64(st.Ino)}, nil
}

// UsedBy reports whether process pid is alive and maps r. A pid that is
// alive but does not map r belongs to a new process that the system gave a
// dead user's pid, so to a holder of one of r's locks this means dead.
func (r *Region) UsedBy(pid int) bool { return !deadUser(pid, r) }

// File returns the descriptor behind the region, to be passed to other
// processes. It stays owned by the region: do not close it.
func (r *Region) File() *os.File { return r.f }

// Bytes returns the mapped memory. Writes to it are seen by every process
// that maps the region; use sync/atomic on words that several processes
// touch at once.
func (r *Region) Bytes() []byte { return r.b }

// Close unmaps the region and closes its descriptor. Other processes keep
// their own mappings. Any use of the region or of a handle onto it after
// Close faults; Close reports an error when called twice.
func (r *Region) Close() error {
	if r.b == nil {
		return errors.New("shm: region already closed")
	}
	err := unix.Munmap(r.b)
	r.b = nil
	if cerr := r.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("shm: closing region: %w", err)
	}
	return nil
}

// span checks that [off, off+size) lies inside the region and that off is
// 8-byte aligned, and returns the bytes there.
func (r *Region) span(what string, off, size int) ([]byte, error) {
	if r == nil || r.b == nil {
		return nil, fmt.Errorf("%w: %s on a nil or closed region", ErrLayout, what)
	}
	if off < 0 || off%8 != 0 || size > len(r.b) || off > len(r.b)-size {
		return nil, fmt.Errorf("%w: %s at offset %d needs %d bytes, 8-byte aligned, in a region of %d", ErrLayout, what, off, size, len(r.b))
	}
	return r.b[off : off+size], nil
}

// word32 and word64 return the aligned word at byte i of b for use with
// sync/atomic.
func word32(b []byte, i int) *uint32 { return (*uint32)(unsafe.Pointer(&b[i])) }
func word64(b []byte, i int) *uint64 { return (*uint64)(unsafe.Pointer(&b[i])) }

// selfPid is this process's pid, read once: os.Getpid is a system call, and
// Go programs never fork without exec.
var selfPid = uint32(os.Getpid())
