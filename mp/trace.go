package mp

import (
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Two hooks serve the grader, and cost one branch each when unset:
//
//   - MP_PERTURB=<seed> makes every sync point sleep a short pseudo-random
//     time first, so that repeated runs explore different interleavings,
//     reproducibly for a given seed.
//   - MP_TRACE=<file> makes every process append one line per event to the
//     file (docs/trace.md has the format).

var (
	perturbOn    bool
	perturbState atomic.Uint64

	traceFile *os.File
)

// initHooks reads the environment; identity makes each process's
// pseudo-random sequence differ, yet stay the same from run to run.
func initHooks(identity string) {
	if s := os.Getenv("MP_PERTURB"); s != "" {
		seed, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			os.Stderr.WriteString("mp: ignoring MP_PERTURB=" + s + ": it must be an unsigned integer seed\n")
		} else {
			perturbOn = true
			h := seed
			for _, c := range []byte(identity) {
				h = (h ^ uint64(c)) * 0x100000001b3
			}
			perturbState.Store(h)
		}
	}
	if path := os.Getenv("MP_TRACE"); path != "" {
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
	x := splitmix(perturbState.Add(0x9e3779b97f4a7c15))
	switch r := x % 100; {
	case r < 60:
		return
	case r < 92:
		time.Sleep(time.Duration(x>>32%500) * time.Microsecond)
	default:
		time.Sleep(time.Duration(x>>32%3000) * time.Microsecond)
	}
}

func splitmix(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// trace appends one event line. A line is written with one write(2) on a
// file opened with O_APPEND, so lines from many processes never mix.
func trace(event string, args ...string) {
	if traceFile == nil {
		return
	}
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	b := make([]byte, 0, 128)
	b = strconv.AppendInt(b, ts.Nano(), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(os.Getpid()), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(self.ppid), 10)
	b = append(b, ' ')
	b = strconv.AppendQuote(b, self.name)
	b = append(b, ' ')
	b = append(b, event...)
	for _, a := range args {
		b = append(b, ' ')
		b = append(b, a...)
	}
	b = append(b, '\n')
	_, _ = traceFile.Write(b)
}
