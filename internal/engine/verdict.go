package engine

import (
	"time"

	"github.com/forklore/forklore/internal/course"
	"github.com/forklore/forklore/internal/i18n"
)

// Status is the verdict of a check or of a whole grading.
type Status string

const (
	Pass    Status = "pass"
	Fail    Status = "fail"
	Timeout Status = "timeout" // a run did not finish within its limit
	Skip    Status = "skip"    // the check does not apply (no trace from a program that is not Go, a single run)
	Error   Status = "error"   // only in reports: grading could not judge (see Grade's error)
)

// Stream selects which of a run's outputs a line came from.
type Stream uint8

const (
	Stdout Stream = 1 << iota
	Stderr
	Both = Stdout | Stderr
)

// Line is one line of output, numbered from 1 within the lines a check
// reads.
type Line struct {
	N      int
	Stream Stream
	Text   string
	// Mono is CLOCK_MONOTONIC when the grader read the line, comparable
	// with the mp trace; zero for lines that are not program output.
	Mono int64
}

// Pos is a place in a rules file.
type Pos struct {
	File string // slash-separated, relative to the course root
	Line int
}

// Check is the verdict of one rule.
type Check struct {
	Rule    string // the rule in words: its -m, else its phase comment, else generated
	RuleZh  string // the rule in Chinese: its -zh, else generated
	Command string // the command that states it, as in "before"
	Pos     Pos
	Status  Status
	Why     string // why it failed or was skipped, without the run
	WhyZh   string // Why in Chinese
	Lines   []Line // the offending lines (at most three)
	Excerpt []Line // the output around them
	In      string // where Lines and Excerpt are from: "" for the output, TraceFile, or a source file
	Run     int    // the failing run, 1-based; 0 if none
	Seed    uint64 // its seed
	// Cause marks a failure that explains others: the program's exit code,
	// a timeout, a crash, a process that outlived the program, a tampered
	// trace, a broken limit.
	Cause bool
	// Consequence marks a failure that happened only in runs that already
	// failed for a Cause: the report lists it after the cause, not as a
	// finding of its own.
	Consequence bool
	Notes       []string // why it was skipped, what was cut
	NotesZh     []string // Notes in Chinese, one for one
	Weight      int      // the rule's share of the exercise's points; 1 unless -weight
}

// TraceFile is Check.In for lines quoted from the mp trace.
const TraceFile = "(trace)"

// RuleIn returns the rule in words in lang ("zh", else English).
func (c *Check) RuleIn(lang string) string { return pick(lang, c.Rule, c.RuleZh) }

// WhyIn returns why the check failed or was skipped, in lang.
func (c *Check) WhyIn(lang string) string { return pick(lang, c.Why, c.WhyZh) }

// NotesIn returns the check's notes in lang.
func (c *Check) NotesIn(lang string) []string { return pickAll(lang, c.Notes, c.NotesZh) }

func (c *Check) setWhy(m i18n.Msg) { c.Why, c.WhyZh = m.In(i18n.En), m.In(i18n.Zh) }

func (c *Check) addNote(m i18n.Msg) {
	c.Notes, c.NotesZh = append(c.Notes, m.In(i18n.En)), append(c.NotesZh, m.In(i18n.Zh))
}

// pick returns zh for Chinese when there is one, else en.
func pick(lang, en, zh string) string {
	if lang == i18n.Zh && zh != "" {
		return zh
	}
	return en
}

func pickAll(lang string, en, zh []string) []string {
	if lang == i18n.Zh && len(zh) == len(en) {
		return zh
	}
	return en
}

// Failed reports whether the check did not pass or skip.
func (c *Check) Failed() bool { return c.Status == Fail || c.Status == Timeout }

// CompileError is a program that did not build: the first error's place in
// the learner's file and the compiler's whole message.
type CompileError struct {
	File   string // slash-separated, relative to the course root
	Line   int
	Col    int
	Output string // every message, paths relative to the course root
}

// Pause is a long pause that the perturbation injected in a run.
type Pause struct {
	Process string // "Process-1 (pid 123)"
	At      string // the site: start, target, put, get, send, recv, exit
	For     time.Duration
}

// Verdict is the outcome of grading one target.
type Verdict struct {
	Target  course.Target
	Status  Status
	Checks  []Check // every rule, in the order of the rules file
	Compile *CompileError
	Seed    uint64 // the base seed
	Runs    int    // runs per run or serve command
	// Pauses are the long pauses of the failing run, if any.
	Pauses  []Pause
	Failing *RunRecord // the failing run, for the timeline; on a pass, the first run if Params.Record, else nil
	Elapsed time.Duration
	// Reproduce is the command that repeats the failing run's
	// perturbation (not the operating system's scheduling).
	Reproduce string
	Notes     []string // said once per grading, as "the trace was skipped"
	NotesZh   []string // Notes in Chinese, one for one
}

// NotesIn returns the verdict's notes in lang.
func (v *Verdict) NotesIn(lang string) []string { return pickAll(lang, v.Notes, v.NotesZh) }

func (v *Verdict) addNote(m i18n.Msg) {
	v.Notes, v.NotesZh = append(v.Notes, m.In(i18n.En)), append(v.NotesZh, m.In(i18n.Zh))
}

// Headline returns the failure to show first: the first cause; else the
// first failed rule read from the trace or the source; else the first
// failure. A rule about what the program did (it never joined a task) is
// the lesson itself and holds or fails the same way in every grading,
// where the output it disturbs (a line out of order) fails only in the
// runs the schedule exposes it: preferring it keeps the reason the same
// from one grading to the next, as a class's sharded gradebook needs. nil
// when the verdict is a pass.
func (v *Verdict) Headline() *Check {
	var first, observed *Check
	for i := range v.Checks {
		c := &v.Checks[i]
		if !c.Failed() {
			continue
		}
		if c.Cause {
			return c
		}
		if first == nil {
			first = c
		}
		if observed == nil && (c.Command == "trace" || c.Command == "source") {
			observed = c
		}
	}
	if observed != nil {
		return observed
	}
	return first
}

// Passed reports whether the target passed.
func (v *Verdict) Passed() bool { return v.Status == Pass }
