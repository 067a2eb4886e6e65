package mptrace

import "time"

// RunSeed returns the seed of run k (0-based) of a grading whose base seed
// is base. Run 0 gets base itself, so that `grade -n 1 -seed S` replays the
// perturbation of any run whose seed was S. Of the others, exactly every
// LullEvery-th (k = 1, 4, 7, ...) is a lull run, so that any -n of 2 or
// more has one: a seed is drawn until LullRun says what the index wants,
// and a replay of that seed is a lull run too.
func RunSeed(base uint64, k int) uint64 {
	if k == 0 {
		return base
	}
	want := k%LullEvery == 1
	s := Mix(base + uint64(k)*Increment)
	for LullRun(s) != want {
		s = Mix(s + Increment)
	}
	return s
}

// ProcessSeed returns the starting state of one process's pseudo-random
// sequence in a run: identity is the process's place in the tree ("" for
// the main process, "1", "2:1" for children), so that each process draws
// its own sequence, yet the same one in every replay of the run.
func ProcessSeed(run uint64, identity string) uint64 {
	h := run
	for i := 0; i < len(identity); i++ {
		h = (h ^ uint64(identity[i])) * 0x100000001b3
	}
	return h
}

// Increment is 2^64 divided by the golden ratio: a process advances its
// state by it before each draw, and draws Mix(state).
const Increment = 0x9e3779b97f4a7c15

// Mix is the splitmix64 finaliser: it maps a counter to a well-spread
// pseudo-random value.
func Mix(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// The long pauses of a lull run. In one run in LullEvery, chosen by the
// run's seed alone so that every process of the run agrees, each process
// pauses long at up to MaxPauses sites where a quiet moment exposes a
// program that sleeps instead of joining, or reads a lull as the end; the
// seed decides how long.
//
// Every site visit of a lull run pauses until the process has used its
// MaxPauses, so a lull run is one where every child starts late and the
// main process starts its first child late. A quiet moment must be
// certain, not likely: a program that reads 100 ms of quiet on a pipe as
// the end is caught only when every child that could still reply is
// quiet at once, which odds of one visit in three gave in one lull run in
// nine (measured: a quiet-pipe reader of exercise 14 passed 3 gradings in
// 30), and a pause at every first site gives in every lull run.
const (
	LullEvery = 3
	MaxPauses = 1
	MinPause  = 100 * time.Millisecond
	MaxPause  = 500 * time.Millisecond
	// pauseOdds is one in how many site visits of a lull run pauses.
	pauseOdds = 1
)

// LullRun reports whether the run with this seed pauses long at all.
func LullRun(run uint64) bool { return Mix(run^0x6c756c6c)%LullEvery == 0 }

// PauseFor turns a process's next pseudo-random draw at a pause site into
// a pause length, or reports that this visit does not pause.
func PauseFor(x uint64) (time.Duration, bool) {
	if x%pauseOdds != 0 {
		return 0, false
	}
	return pauseLength(x), true
}

// pauseLength draws a pause of MinPause to MaxPause, in whole
// milliseconds, from the high half of x (the low half chose to pause).
func pauseLength(x uint64) time.Duration {
	span := uint64(MaxPause-MinPause) / uint64(time.Millisecond)
	return MinPause + time.Duration((x>>32)%(span+1))*time.Millisecond
}

// The long pauses of a lull run at message sites: before a Queue put or
// get, a Pipe send or recv. They have a budget of their own, so that the
// pauses at a process's start, target and exit (MaxPauses) do not use it
// up before the messages flow: what a pause here exposes is a quiet moment
// in the middle of a stream, which a consumer that takes a short lull for
// the end reads as the end. In one lull run in MessageLullEvery
// (MessageLullRun says which), one process in MessagePausers may pause
// (MessagePauses says which), and then one of its visits in
// MessagePauseOdds pauses, for MinPause to MaxPause, up to
// MaxMessagePauses times. Not every run and not every process pauses:
// a pause in one producer of a stream makes the quiet moment, and each
// pause in a chain of processes adds to the grading's time (measured on
// exercises 10-20 at -n 20: up to 2 s more per exercise with every
// process of every lull run pausing, up to 0.5 s as it is).
const (
	MaxMessagePauses = 1
	MessagePauseOdds = 4
	MessagePausers   = 2
	MessageLullEvery = 2
)

// MessageLullRun reports whether the run with this seed pauses long at
// message sites: some of its lull runs do.
func MessageLullRun(run uint64) bool {
	return LullRun(run) && Mix(run^0x6d73676c)%MessageLullEvery == 0
}

// MessagePauses returns how many long pauses a process of a message lull
// run may take at message sites, given its ProcessSeed: MaxMessagePauses
// or 0.
func MessagePauses(process uint64) int {
	if Mix(process^0x6d736773)%MessagePausers != 0 {
		return 0
	}
	return MaxMessagePauses
}

// MessagePauseFor is PauseFor for a message site.
func MessagePauseFor(x uint64) (time.Duration, bool) {
	if x%MessagePauseOdds != 0 {
		return 0, false
	}
	return pauseLength(x), true
}
