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
	msgPauses    atomic.Int32 // the same at message sites (put, get, send, recv)

	traceFile    *os.File
	tracedEvents atomic.Uint64 // events this process has written, but alive events
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
			ps := mptrace.ProcessSeed(seed, identity)
			perturbState.Store(ps)
			lullRun = mptrace.LullRun(seed)
			pausesLeft.Store(mptrace.MaxPauses)
			if mptrace.MessageLullRun(seed) {
				msgPauses.Store(int32(mptrace.MessagePauses(ps)))
			}
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
// all, sometimes up to half a millisecond, rarely up to 3 ms. It is small
// enough to be inlined, so that when MP_PERTURB is unset a sync point pays
// one branch and no call.
func perturb() {
	if perturbOn {
		perturbSleep()
	}
}

func perturbSleep() {
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
// Start, a child's target, an exit; and, on a budget of their own, a Put
// or Get, a Send or Recv (see mptrace.MessagePauseFor). The pause is
// traced before it begins, so the grader can show it.
func pause(site string) {
	if !perturbOn {
		return
	}
	left, odds := &pausesLeft, mptrace.PauseFor
	switch site {
	case "put", "get", "send", "recv":
		left, odds = &msgPauses, mptrace.MessagePauseFor
	}
	if lullRun && left.Load() > 0 {
		x := mptrace.Mix(perturbState.Add(mptrace.Increment))
		if d, ok := odds(x); ok && left.Add(-1) >= 0 {
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
	if event != mptrace.Alive {
		// Counting alive events would defeat their dedup: a loop over two
		// processes' IsAlive would write an event per call again.
		tracedEvents.Add(1)
	}
}

// The events of calls that wait, with the trace on. A call that may wait
// (a Get, an Acquire...) first tries without waiting; only if that fails
// does it write a block event, then wait. Its trace then reads block,
// then the event of the call (get, acquire...), and the time between the
// two is the wait. Calls that wait as long as it takes pass noTimeout; a
// call that does not wait (GetNowait, TryAcquire) passes 0, and writes
// neither a block event nor one for giving up: a program that polls would
// fill the trace with them.
const noTimeout time.Duration = -1

// internalWait is the timeout of mp's own polling waits (a Pool's results
// handler): they wait until their deadline, and trace neither a block nor
// giving up, which would say nothing about the program.
const internalWait time.Duration = -2

// waitTraced runs a call that may wait with the trace on: try(deadline)
// does the call, and reports whether it completed. in names the call
// ("Get"), kind its event ("get"), what the object ("queue=<id>"). A timed
// call that gives up writes its event with timeout= and ok=false. The
// event of a call that completed is the caller's to write.
func waitTraced(in, kind, what string, d time.Duration, deadline time.Time, try func(time.Time) bool) bool {
	if try(past) {
		return true
	}
	if d == 0 {
		return false
	}
	return waitSlow(in, kind, what, d, deadline, try)
}

// waitSlow is the rest of a call that may wait, once a try without
// waiting has failed: wait(deadline) waits. It is where calls whose fast
// path is one compare-and-swap (an Acquire) write their block and give-up
// events, so that their fast path pays nothing for the trace.
func waitSlow(in, kind, what string, d time.Duration, deadline time.Time, wait func(time.Time) bool) bool {
	if traceFile == nil {
		return wait(deadline)
	}
	if d != 0 {
		traceBlock(in, what, d)
	}
	if wait(deadline) {
		return true
	}
	if d > 0 {
		traceGaveUp(kind, what, d)
	}
	return false
}

// traceWaited writes the wait event of an Event or Condition wait that
// returned: with the timeout and whether it was set or notified when the
// call was timed. A call that did not wait (d == 0) and found nothing
// writes none.
func traceWaited(what string, d time.Duration, ok bool) {
	switch {
	case d == 0 && !ok:
	case d > 0:
		trace(mptrace.Wait, what, timeoutAttr(d), "ok="+strconv.FormatBool(ok))
	default:
		trace(mptrace.Wait, what)
	}
}

// traceGaveUp writes the event of a timed call whose timeout passed.
func traceGaveUp(kind, what string, d time.Duration) {
	trace(kind, what, timeoutAttr(d), "ok=false")
}

// traceBlock writes that a call is about to wait.
func traceBlock(in, what string, d time.Duration) {
	if d > 0 {
		trace(mptrace.Block, "in="+in, what, timeoutAttr(d))
	} else {
		trace(mptrace.Block, "in="+in, what)
	}
}

// timeoutAttr says a timeout in milliseconds, as a decimal fraction if it
// is not a whole number of them: 100, 0.25.
func timeoutAttr(d time.Duration) string {
	return "timeout=" + strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', -1, 64)
}

// messageHook returns the hook that traces each message a ring handle
// puts or gets, named by its number in the ring (see shm.Ring.OnPut):
// kind is put, get, send or recv, what the queue or Pipe end. It returns
// nil, and the ring pays one branch per message, when the trace is off.
//
// The ring's own count of messages is the message id because both sides
// already know it, exactly, with any number of producers and consumers:
// an id carried in the message would cost bytes and a branch on every
// message even with the trace off. The put is written before consumers
// can see the message, so its time is before its get's.
func messageHook(kind, what string) func(uint32) {
	if traceFile == nil {
		return nil
	}
	return func(n uint32) { trace(kind, what, "msg="+strconv.FormatUint(uint64(n), 10)) }
}
