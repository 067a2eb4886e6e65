//go:build linux

// Command floor measures what this machine allows at best for each of
// mp's figures, with minimal Go programs and no mp: cmd/mpbench runs it in
// the same rounds as mp's probe and prints mp's figure as a multiple of
// the floor's.
//
//	floor NOOP [scale [keys]]
//
// NOOP is the minimal static Go binary (./noop); keys, comma-separated,
// limit what is measured. floor prints one JSON
// object mapping a measurement's key to seconds, with the same units as the
// probe's keys of the same name:
//
//	start_join           start+wait of NOOP (median)
//	start_join_10        10 NOOPs started, then waited (median)
//	pipe_kib             seconds per KiB through an os.Pipe between two
//	                     processes, in 64 KiB writes (median of sample.Runs
//	                     runs)
//	lock_pair            lock+unlock of a futex mutex in shared memory,
//	                     uncontended
//	contended_increment  seconds per increment, 2 processes × n increments
//	                     of a shared counter under that mutex (median of
//	                     sample.Runs runs)
//
// Children are started with syscall.ForkExec, as mp starts its own, and
// waited for with wait4, the least the Go runtime lets a program do.
package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/forklore/forklore/cmd/mpbench/internal/sample"
	"golang.org/x/sys/unix"
)

func main() {
	if len(os.Args) >= 2 {
		switch os.Args[1] {
		case "pipe-writer":
			pipeWriter(atoi(os.Args[2]))
			return
		case "incrementer":
			incrementer(atoi(os.Args[2]))
			return
		}
	}
	if len(os.Args) < 2 {
		fail(fmt.Errorf("usage: floor NOOP [scale]"))
	}
	noop := os.Args[1]
	scale := 1.0
	if len(os.Args) > 2 {
		s, err := strconv.ParseFloat(os.Args[2], 64)
		if err != nil {
			fail(fmt.Errorf("bad scale %q: %v", os.Args[2], err))
		}
		scale = s
	}
	var only []string
	if len(os.Args) > 3 {
		only = strings.Split(os.Args[3], ",")
	}
	n := func(k int) int { return max(3, int(float64(k)*scale)) }
	measures := []struct {
		key string
		f   func() float64
	}{
		{"start_join", func() float64 { return sample.Median(n(200), func() { startWait(noop, 1) }) }},
		{"start_join_10", func() float64 { return sample.Median(n(20), func() { startWait(noop, 10) }) }},
		{"pipe_kib", func() float64 { return sample.MedianRun(func() float64 { return pipeKiB(n(4000)) }) }},
		{"lock_pair", func() float64 { return lockPair(n(2_000_000)) }},
		{"contended_increment", func() float64 { return sample.MedianRun(func() float64 { return contended(n(200_000)) }) }},
	}
	var out []string
	for _, m := range measures {
		if only == nil || slices.Contains(only, m.key) {
			out = append(out, fmt.Sprintf("%q: %g", m.key, m.f()))
		}
	}
	fmt.Printf("{%s}\n", strings.Join(out, ", "))
}

// startWait starts k copies of bin, then waits for them all.
func startWait(bin string, k int) {
	attr := &syscall.ProcAttr{Env: os.Environ(), Files: []uintptr{0, 1, 2}}
	pids := make([]int, k)
	for i := range pids {
		pid, err := syscall.ForkExec(bin, []string{bin}, attr)
		must(err)
		pids[i] = pid
	}
	for _, pid := range pids {
		wait(pid)
	}
}

func wait(pid int) {
	var ws syscall.WaitStatus
	for {
		_, err := syscall.Wait4(pid, &ws, 0, nil)
		if err != syscall.EINTR {
			must(err)
			break
		}
	}
	if !ws.Exited() || ws.ExitStatus() != 0 {
		fail(fmt.Errorf("child %d ended with %v", pid, ws))
	}
}

// self starts this program again with args, and with files as its
// descriptors 0, 1, 2, 3...
func self(files []uintptr, args ...string) int {
	exe, err := os.Executable()
	must(err)
	pid, err := syscall.ForkExec(exe, append([]string{exe}, args...), &syscall.ProcAttr{Env: os.Environ(), Files: files})
	must(err)
	return pid
}

const pipeBlock = 64 << 10

// pipeKiB returns seconds per KiB that a child writes into an os.Pipe in
// 64 KiB writes and this process reads, timed from the go signal to the
// last byte, as mp's probe times its pipe.
func pipeKiB(blocks int) float64 {
	goR, goW, err := os.Pipe()
	must(err)
	dataR, dataW, err := os.Pipe()
	must(err)
	pid := self([]uintptr{goR.Fd(), dataW.Fd(), 2}, "pipe-writer", strconv.Itoa(blocks))
	goR.Close()
	dataW.Close()
	buf := make([]byte, pipeBlock)
	t := time.Now()
	_, err = goW.Write([]byte{1})
	must(err)
	total := 0
	for total < blocks*pipeBlock {
		k, err := dataR.Read(buf)
		must(err)
		total += k
	}
	d := time.Since(t).Seconds()
	dataR.Close()
	goW.Close()
	wait(pid)
	return d / float64(total/1024)
}

func pipeWriter(blocks int) {
	var b [1]byte
	_, err := io.ReadFull(os.Stdin, b[:])
	must(err)
	block := make([]byte, pipeBlock)
	for range blocks {
		_, err := os.Stdout.Write(block)
		must(err)
	}
}

// shared is the layout of the shared memory of the lock measurements.
type shared struct {
	lock    uint32 // 0 free, 1 locked, 2 locked with sleepers
	start   uint32 // 1 once the children may begin
	counter int64
}

// mapShared maps a memfd holding a shared; the descriptor is inheritable.
func mapShared(fd int) *shared {
	b, err := unix.Mmap(fd, 0, int(unsafe.Sizeof(shared{})), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	must(err)
	return (*shared)(unsafe.Pointer(&b[0]))
}

func newShared() (*shared, int) {
	fd, err := unix.MemfdCreate("floor", 0)
	must(err)
	must(unix.Ftruncate(fd, int64(unsafe.Sizeof(shared{}))))
	return mapShared(fd), fd
}

// Shared futexes: no FUTEX_PRIVATE_FLAG, so that processes meet on the word.
func futexWait(addr *uint32, val uint32) {
	unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), 0 /* FUTEX_WAIT */, uintptr(val), 0, 0, 0)
}

func futexWake(addr *uint32, n int) {
	unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), 1 /* FUTEX_WAKE */, uintptr(n), 0, 0, 0)
}

// lock and unlock are the classic three-state futex mutex (Drepper,
// "Futexes Are Tricky", mutex 2): one compare-and-swap to lock and one
// atomic decrement to unlock when nobody sleeps.
func lock(w *uint32) {
	if atomic.CompareAndSwapUint32(w, 0, 1) {
		return
	}
	for {
		if atomic.SwapUint32(w, 2) == 0 {
			return
		}
		futexWait(w, 2)
	}
}

func unlock(w *uint32) {
	if atomic.AddUint32(w, ^uint32(0)) != 0 {
		atomic.StoreUint32(w, 0)
		futexWake(w, 1)
	}
}

// lockPair returns seconds per uncontended lock+unlock.
func lockPair(n int) float64 {
	s, fd := newShared()
	defer syscall.Close(fd)
	t := time.Now()
	for range n {
		lock(&s.lock)
		unlock(&s.lock)
	}
	return time.Since(t).Seconds() / float64(n)
}

// contended returns seconds per increment, 2 processes × n locked
// increments, timed from the go signal until both children are waited
// for, as mp's probe times them.
func contended(n int) float64 {
	s, fd := newShared()
	defer syscall.Close(fd)
	pids := []int{
		self([]uintptr{0, 1, 2, uintptr(fd)}, "incrementer", strconv.Itoa(n)),
		self([]uintptr{0, 1, 2, uintptr(fd)}, "incrementer", strconv.Itoa(n)),
	}
	t := time.Now()
	atomic.StoreUint32(&s.start, 1)
	futexWake(&s.start, 2)
	for _, pid := range pids {
		wait(pid)
	}
	d := time.Since(t).Seconds()
	if got := atomic.LoadInt64(&s.counter); got != int64(2*n) {
		fail(fmt.Errorf("contended total %d, want %d", got, 2*n))
	}
	return d / float64(2*n)
}

func incrementer(n int) {
	s := mapShared(3)
	for atomic.LoadUint32(&s.start) == 0 {
		futexWait(&s.start, 0)
	}
	for range n {
		lock(&s.lock)
		s.counter++
		unlock(&s.lock)
	}
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	must(err)
	return n
}

func must(err error) {
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "floor:", err)
	os.Exit(1)
}
