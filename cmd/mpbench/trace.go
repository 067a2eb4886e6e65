package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"text/tabwriter"

	"github.com/forklore/forklore/internal/mptrace"
)

// endLine is written by mpbench after a traced probe run: once the reader
// reads it, it has counted every event of the run.
const endLine = "\x00end\n"

// runTrace measures what mp's trace costs (-trace): every round runs the
// static probe with MP_TRACE unset and with MP_TRACE set to a FIFO that
// mpbench drains while the probe runs, as the grader does, one after the
// other and in alternating order, so that both share the machine's noise.
// It prints each row's figure off and on, and their ratio taken within
// each round. Python and the floors are not run.
func runTrace(c config) error {
	dir, err := os.MkdirTemp("", "mpbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "probe")
	if err := goBuild(".", "./cmd/mpbench/probe", bin, []string{"CGO_ENABLED=0"}); err != nil {
		return fmt.Errorf("cannot build the probe (run mpbench from the repository root): %w", err)
	}
	argv := []string{bin, fmt.Sprint(c.scale)}
	if c.only != "" {
		argv = append(argv, c.only)
	}
	fifo := filepath.Join(dir, "trace.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		return fmt.Errorf("cannot make the trace FIFO: %w", err)
	}
	// Read and write: the reader sees no end of file between two runs.
	f, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	counts := make(chan int)
	go func() {
		rd := bufio.NewReaderSize(f, mptrace.MaxLine+1)
		n := 0
		for {
			l, err := rd.ReadSlice('\n')
			if err != nil && err != bufio.ErrBufferFull {
				return
			}
			if bytes.Equal(l, []byte(endLine)) {
				counts <- n
				n = 0
				continue
			}
			n++
		}
	}()
	os.Unsetenv(mptrace.EnvTrace)
	off := &subject{label: "trace off"}
	on := &subject{label: "trace on"}
	var events []float64
	for r := range c.rounds {
		fmt.Fprintf(os.Stderr, "round %d/%d...\n", r+1, c.rounds)
		for i := range 2 {
			traced := (r+i)%2 == 1
			if traced {
				os.Setenv(mptrace.EnvTrace, fifo)
			}
			m, err := runJSON(argv)
			os.Unsetenv(mptrace.EnvTrace)
			if err != nil {
				return fmt.Errorf("the probe: %w", err)
			}
			if !traced {
				off.got = append(off.got, m)
				continue
			}
			if _, err := f.Write([]byte(endLine)); err != nil {
				return err
			}
			on.got = append(on.got, m)
			events = append(events, float64(<-counts))
		}
	}

	fmt.Printf("mp with the trace off (MP_TRACE unset) and on (MP_TRACE a FIFO drained as the grader does), static build: %d rounds\n", c.rounds)
	fmt.Printf("events traced per probe run: median %.0f\n", med(events))
	fmt.Printf("on / off is taken within each round, in the row's unit: above 1 is slower for a time, faster for a rate.\n\n")
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "measurement\ttrace off\ttrace on\ton / off (each round)")
	for _, x := range rows {
		a, b := off.fig(x.key), on.fig(x.key)
		if allNaN(a) || allNaN(b) {
			continue
		}
		fmt.Fprintf(w, "%s (%s)\t%s\t%s\t%s\n", x.what, x.unit, num(x.show(med(a))), num(x.show(med(b))), ratioText(ratios(x, b, a)))
	}
	return w.Flush()
}
