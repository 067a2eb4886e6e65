// Package engine grades a program against an exercise's rules, the way
// `go test` runs a package's tests: it builds the program, runs it many
// times, and reports a verdict per rule. Where go test asks "did this
// function return the right value", the engine asks "did this concurrent
// program keep its rules in every interleaving it was shaken into".
//
// # The pipeline
//
// Grade takes one target (an exercise's learner program, its reference
// solution or one of its known-wrong programs) through five steps:
//
//  1. read: the rules file (testdata/scripts/NN-name.txtar) is parsed and
//     every statement's options and patterns are checked before anything
//     runs; a broken rule is a *ScriptError naming its file and line.
//  2. build: `go build` of the program (with -race when the exercise
//     observes the race channel); a compile error is a failed verdict
//     with the error's place, not an error.
//  3. run ×N: each run or serve command runs the program Params.Runs
//     times, each run in its own work directory, with its own seed for
//     mp's schedule perturbation (MP_PERTURB), behind a shim that keeps
//     every process it starts, limits its memory and CPU, and kills what
//     is left at the end.
//  4. observe: each run yields its output lines, its exit, the processes
//     that outlived it, and the mp trace read live from a FIFO
//     (MP_TRACE), which the program cannot take back.
//  5. check: every rule is applied to every run; the verdict of each is a
//     Check value. Failures that happened only in runs that failed for a
//     cause (a timeout, an exit code, a crash, an orphan, a tampered
//     trace) are marked as consequences, and Verdict.Headline shows the
//     cause first.
//
// Reports (text, JSON, JUnit, annotations) only format a Verdict; they
// live in package report. The command line lives in cmd/grade.
//
// # Rules files
//
// A rules file is a testscript file: command lines, # comments, then
// txtar sections holding the files each run starts with. `go test` runs
// the same files through testscript (see the course test), so an
// instructor can run them the standard way. The commands, with their
// options, are listed by Usage and in docs/checks.md. A rule's words are
// its -m, else the block of # lines above it.
//
// # Pitfalls
//
//   - A verdict is only as good as its rules: a rule must hold in every
//     interleaving of a correct program, or correct programs fail on a
//     busy machine. State order and counts, never wall-clock windows.
//   - -seed replays mp's perturbation, not the operating system's
//     scheduling: a reproduced run usually, not always, fails again.
//   - Every binary that calls Grade must call RunShim first in main.
package engine
