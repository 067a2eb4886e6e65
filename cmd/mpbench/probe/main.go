// Command probe is the mp side of cmd/mpbench: a minimal mp program, so that
// children pay for mp and the Go runtime only, as the floor program pays for
// the runtime only. It prints one JSON object mapping a measurement's key
// to its median in seconds.
package main

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"forklore/mp"
)

func noop() {}

func main() {
	mp.Main(noop)
	defer mp.Finish()
	scale := 1.0
	if len(os.Args) > 1 {
		if s, err := strconv.ParseFloat(os.Args[1], 64); err == nil {
			scale = s
		}
	}
	n := func(k int) int { return max(3, int(float64(k)*scale)) }
	var out []string
	add := func(key string, v float64) { out = append(out, fmt.Sprintf("%q: %g", key, v)) }
	add("start_join", median(n(200), func() { startJoin(1) }))
	add("start_join_10", median(n(20), func() { startJoin(10) }))
	fmt.Printf("{%s}\n", strings.Join(out, ", "))
}

func startJoin(k int) {
	ps := make([]*mp.Process, k)
	for i := range ps {
		ps[i] = mp.NewProcess(noop)
		if err := ps[i].Start(); err != nil {
			fmt.Fprintln(os.Stderr, "probe:", err)
			os.Exit(1)
		}
	}
	for _, p := range ps {
		p.Join()
	}
}

func median(n int, f func()) float64 {
	ds := make([]float64, n)
	for i := range ds {
		t := time.Now()
		f()
		ds[i] = time.Since(t).Seconds()
	}
	slices.Sort(ds)
	return ds[n/2]
}
