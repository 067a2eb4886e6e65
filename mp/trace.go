package mp

import (
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/forklore/forklore/internal/mptrace"
	"golang.org/x/sys/unix"
)

// Two hooks serve the grader, and cost one branch each when unset. Their
// contract (variable names, line format, seeds) is package mptrace:
//
//   - MP_PERTURB=<seed> makes every sync point sleep a short pseudo-random
//     time first, so that repeated runs explore different interleavings,
//     reproducibly for a given seed; and in some runs it pauses long at a
//     few places (see pause).
//   - MP_TRACE=<file> makes every process append one line per event to the
//     file (docs/trace.md has the format).

var (
	perturbOn    bool
	perturbState atomic.Uint64
	lullRun      bool         // this run pauses long at some sites
	pausesLeft   atomic.Int32 // long pauses this process may still take

	traceFile *os.File
)

// initHooks reads the environment; identity makes each process's
// pseudo-random sequence differ, yet stay the same from run to run.
func initHooks(identity string) {
	if s := os.Getenv(mptrace.EnvPerturb); s != "" {
		seed, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			os.Stderr.WriteString("mp: ignoring " + mptrace.EnvPerturb + "=" + s + ": it must be an unsigned integer seed\n")
		} else {
			perturbOn = true
			perturbState.Store(mptrace.ProcessSeed(seed, identity))
			lullRun = mptrace.LullRun(seed)
			pausesLeft.Store(mptrace.MaxPauses)
		}
	}
	if path := os.Getenv(mptrace.EnvTrace); path != "" {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			os.Stderr.WriteString("mp: cannot write the trace: " + err.Error() + "\n")
		} else {
			traceFile = f
		}
	}
}

// perturb sleeps before a sync point when MP_PERTURB is set: mostly not at
// all, sometimes up to half a millisecond, rarely up to 3 ms.
func perturb() {
	if !perturbOn {
		return
	}
	x := mptrace.Mix(perturbState.Add(mptrace.Increment))
	switch r := x % 100; {
	case r < 60:
		return
	case r < 92:
		time.Sleep(time.Duration(x>>32%500) * time.Microsecond)
	default:
		time.Sleep(time.Duration(x>>32%3000) * time.Microsecond)
	}
}

// pause perturbs like perturb, and in a lull run sometimes sleeps long
// (mptrace.MinPause to MaxPause) at a site where a lull exposes a program
// that sleeps instead of joining, or reads a quiet moment as the end: a
// Start, a child's target, a Put or Get, a Send or Recv, an exit. The
// pause is traced before it begins, so the grader can show it.
func pause(site string) {
	if !perturbOn {
		return
	}
	if lullRun && pausesLeft.Load() > 0 {
		x := mptrace.Mix(perturbState.Add(mptrace.Increment))
		if d, ok := mptrace.PauseFor(x); ok && pausesLeft.Add(-1) >= 0 {
			if traceFile != nil {
				trace(mptrace.Pause, "at="+site, "ms="+strconv.FormatInt(d.Milliseconds(), 10))
			}
			time.Sleep(d)
			return
		}
	}
	perturb()
}

// trace appends one event line; each arg is "key=value". A line is written
// with one write(2) on a file opened with O_APPEND, so lines from many
// processes never mix.
func trace(event string, args ...string) {
	if traceFile == nil {
		return
	}
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	b := make([]byte, 0, 128)
	b = mptrace.AppendHeader(b, ts.Nano(), os.Getpid(), self.ppid, self.name, event)
	for _, a := range args {
		k, v, _ := strings.Cut(a, "=")
		b = mptrace.AppendAttr(b, k, v)
	}
	b = append(b, '\n')
	_, _ = traceFile.Write(b)
}
