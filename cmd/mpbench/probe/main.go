// Command probe is the mp side of cmd/mpbench: a minimal mp program, so that
// children pay for mp and the Go runtime only, as the floor program pays for
// the runtime only. It prints one JSON object mapping a measurement's key
// to its median in seconds.
package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/forklore/forklore/cmd/mpbench/internal/sample"
	"github.com/forklore/forklore/mp"
)

func noop() {}

// Targets of the cooperation measurements. Each waits for go before its
// loop, so that process start is not measured.

func incrementShared(v *mp.Value[int64], n int, start *mp.Event) {
	start.Wait()
	for range n {
		v.Lock()
		v.Store(v.Load() + 1)
		v.Unlock()
	}
}

func produceInts(q *mp.Queue[int], n int, start *mp.Event) {
	start.Wait()
	for i := range n {
		q.Put(i)
	}
}

func produceJoinable(q *mp.JoinableQueue[int], n int, start *mp.Event) {
	start.Wait()
	for i := range n {
		q.Put(i)
	}
}

func produceKiB(q *mp.Queue[[]byte], n int, start *mp.Event) {
	start.Wait()
	block := make([]byte, 1024)
	for range n {
		q.Put(block)
	}
}

func echo(c *mp.Conn) {
	for {
		var m any
		if err := c.Recv(&m); err != nil || m == nil {
			return
		}
		c.Send(m)
	}
}

func sendKiB(c *mp.Conn, n int, start *mp.Event) {
	start.Wait()
	block := make([]byte, 1024)
	for range n {
		c.SendBytes(block)
	}
	c.Close()
}

func square(x int) int { return x * x }

func main() {
	if len(os.Args) > 1 && os.Args[1] == "-exit" {
		return // start_bare: this binary's own start, without mp's
	}
	mp.Main(noop, incrementShared, produceInts, produceJoinable, produceKiB, echo, sendKiB, square)
	defer mp.Finish()
	scale := 1.0
	if len(os.Args) > 1 {
		if s, err := strconv.ParseFloat(os.Args[1], 64); err == nil {
			scale = s
		}
	}
	// An optional second argument lists the keys to measure, so that
	// mpbench can measure only process start in a second build.
	only := map[string]bool{}
	if len(os.Args) > 2 {
		for _, k := range strings.Split(os.Args[2], ",") {
			only[k] = true
		}
	}
	n := func(k int) int { return max(3, int(float64(k)*scale)) }
	measures := []struct {
		key string
		f   func() float64
	}{
		{"start_join", func() float64 { return sample.Median(n(200), func() { startJoin(1) }) }},
		{"start_join_10", func() float64 { return sample.Median(n(20), func() { startJoin(10) }) }},
		{"start_bare", func() float64 { return sample.Median(n(200), startBare) }},
		{"lock_pair", func() float64 { return lockPair(n(2_000_000)) }},
		{"contended_increment", func() float64 { return sample.MedianRun(func() float64 { return contended(n(200_000)) }) }},
		{"queue_item", func() float64 { return queueItem(n(300_000), 0) }},
		{"queue_bounded_item", func() float64 { return queueItem(n(300_000), 100) }},
		{"joinable_item", func() float64 { return joinableItem(n(300_000)) }},
		{"queue_kib", func() float64 { return sample.MedianRun(func() float64 { return queueKiB(n(200_000)) }) }},
		{"pipe_round_trip", func() float64 { return pipeRoundTrip(n(5_000)) }},
		{"pipe_kib", func() float64 { return sample.MedianRun(func() float64 { return pipeKiB(n(300_000), false) }) }},
		{"pipe_kib_into", func() float64 { return sample.MedianRun(func() float64 { return pipeKiB(n(300_000), true) }) }},
		{"pool_start", func() float64 { return sample.Median(n(20), poolStart) }},
		{"pool_map_item", func() float64 { return poolMap(n(1_000_000)) }},
	}
	var out []string
	for _, m := range measures {
		if len(only) == 0 || only[m.key] {
			out = append(out, fmt.Sprintf("%q: %g", m.key, m.f()))
		}
	}
	fmt.Printf("{%s}\n", strings.Join(out, ", "))
}

func startJoin(k int) {
	ps := make([]*mp.Process, k)
	for i := range ps {
		ps[i] = mp.NewProcess(noop)
		must(ps[i].Start())
	}
	for _, p := range ps {
		p.Join()
	}
}

// startBare starts this program again, as a plain program that exits
// before mp.Main, and waits for it: what executing this binary costs
// (exec, the dynamic loader if any, the runtime, package initialisation),
// without mp's bootstrap and reaping.
func startBare() {
	exe := "/proc/self/exe"
	pid, err := syscall.ForkExec(exe, []string{os.Args[0], "-exit"}, &syscall.ProcAttr{Env: os.Environ(), Files: []uintptr{0, 1, 2}})
	must(err)
	var ws syscall.WaitStatus
	_, err = syscall.Wait4(pid, &ws, 0, nil)
	must(err)
}

// lockPair returns seconds per uncontended Acquire+Release.
func lockPair(n int) float64 {
	l := mp.NewLock()
	t := time.Now()
	for range n {
		l.Acquire()
		l.Release()
	}
	return time.Since(t).Seconds() / float64(n)
}

// timed starts processes that wait for start, sets it, and returns the
// seconds that work takes; then it joins the processes.
func timed(ps []*mp.Process, start *mp.Event, work func()) float64 {
	for _, p := range ps {
		must(p.Start())
	}
	t := time.Now()
	start.Set()
	work()
	d := time.Since(t).Seconds()
	for _, p := range ps {
		p.Join()
	}
	return d
}

// contended returns seconds per increment, 2 processes × n increments of
// a Value under its lock.
func contended(n int) float64 {
	v := mp.NewValue[int64](0)
	start := mp.NewEvent()
	ps := []*mp.Process{mp.NewProcess(incrementShared, v, n, start), mp.NewProcess(incrementShared, v, n, start)}
	d := timed(ps, start, func() {
		for _, p := range ps {
			p.Join()
		}
	})
	if got := v.Load(); got != int64(2*n) {
		fail(fmt.Errorf("contended total %d, want %d", got, 2*n))
	}
	return d / float64(2*n)
}

// queueItem returns seconds per item from one child producer to the parent.
func queueItem(n, maxsize int) float64 {
	q := mp.NewQueue[int](maxsize)
	start := mp.NewEvent()
	ps := []*mp.Process{mp.NewProcess(produceInts, q, n, start)}
	return timed(ps, start, func() {
		for range n {
			_, err := q.Get()
			must(err)
		}
	}) / float64(n)
}

// joinableItem is queueItem with a TaskDone per item.
func joinableItem(n int) float64 {
	q := mp.NewJoinableQueue[int](0)
	start := mp.NewEvent()
	ps := []*mp.Process{mp.NewProcess(produceJoinable, q, n, start)}
	return timed(ps, start, func() {
		for range n {
			_, err := q.Get()
			must(err)
			must(q.TaskDone())
		}
	}) / float64(n)
}

// queueKiB returns seconds per 1 KiB []byte item from one child producer
// to the parent.
func queueKiB(n int) float64 {
	q := mp.NewQueue[[]byte](0)
	start := mp.NewEvent()
	ps := []*mp.Process{mp.NewProcess(produceKiB, q, n, start)}
	return timed(ps, start, func() {
		for range n {
			_, err := q.Get()
			must(err)
		}
	}) / float64(n)
}

// pipeRoundTrip returns the median seconds of sending a small value to a
// child and receiving it back.
func pipeRoundTrip(n int) float64 {
	a, b := mp.Pipe()
	p := mp.NewProcess(echo, b)
	must(p.Start())
	b.Close()
	type ping struct {
		I int
		S string
	}
	mp.Register(ping{})
	d := sample.Median(n, func() {
		must(a.Send([]any{1, "ping"}))
		var back any
		must(a.Recv(&back))
	})
	a.Send(nil)
	p.Join()
	return d
}

// pipeKiB returns seconds per 1 KiB message from a child, sent with
// SendBytes and received with RecvBytes (Python's send_bytes, recv_bytes),
// or with into, RecvBytesInto one buffer (recv_bytes_into): the pipe
// without the allocation of a new slice per message.
func pipeKiB(n int, into bool) float64 {
	a, b := mp.Pipe()
	start := mp.NewEvent()
	ps := []*mp.Process{mp.NewProcess(sendKiB, b, n, start)}
	var d float64
	for _, p := range ps {
		must(p.Start())
	}
	b.Close()
	buf := make([]byte, 1024)
	t := time.Now()
	start.Set()
	for range n {
		var err error
		if into {
			_, err = a.RecvBytesInto(buf)
		} else {
			_, err = a.RecvBytes()
		}
		must(err)
	}
	d = time.Since(t).Seconds()
	ps[0].Join()
	return d / float64(n)
}

func poolStart() {
	p, err := mp.NewPool(mp.PoolConfig{Processes: 2})
	must(err)
	must(p.Close())
	must(p.Join())
}

// poolMap returns seconds per item of Map over n items with two workers.
func poolMap(n int) float64 {
	p, err := mp.NewPool(mp.PoolConfig{Processes: 2})
	must(err)
	items := make([]int, n)
	_, err = mp.Map(p, square, items[:100])
	must(err)
	t := time.Now()
	_, err = mp.Map(p, square, items)
	must(err)
	d := time.Since(t).Seconds()
	p.Close()
	p.Join()
	return d / float64(n)
}

func must(err error) {
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "probe:", err)
	os.Exit(1)
}
