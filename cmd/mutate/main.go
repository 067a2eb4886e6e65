// Command mutate tests the course's rules the way mutation testing tests a
// test suite: it derives wrong programs mechanically from each reference
// solution, grades each one, and reports which of them the rules let
// through. A rule set that passes the solution and kills every mutant
// states its lesson; a survivor is either a rule to add or an equivalent
// program, listed in exercise.json with the reason it is still correct.
//
// Usage:
//
//	go run ./cmd/mutate [-n N] [-j J] [-seed S] [-list] [-v] [EXERCISE...]
//
// The mutations (see Mutants): delete one statement calling Join,
// JoinTimeout, Release, Unlock, Close, TaskDone or Finish; Start→Run; swap
// two adjacent statements; flip a Daemon assignment; drop a Lock or
// Acquire with its matching Unlock or Release.
//
// It exits with 1 when a mutant that exercise.json does not list as
// equivalent survives, when one that it lists is killed (a correct program
// rejected, or a stale entry), or when an entry names no mutant; 2 on bad
// usage.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/forklore/forklore/internal/course"
	"github.com/forklore/forklore/internal/engine"
	"golang.org/x/sync/errgroup"
)

func main() {
	engine.RunShim()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// outcome is what grading a mutant gave.
type outcome int

const (
	killed outcome = iota
	survived
	noCompile
)

// result is one graded mutant.
type result struct {
	Mutant
	e          *course.Exercise
	out        outcome
	equivalent string // the reason exercise.json gives, if it lists the mutant
	rule       string // the rule that killed it
	diff       string
	err        error
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mutate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	runs := fs.Int("n", 20, "runs per grading of a mutant, as grade -n")
	jobs := fs.Int("j", runtime.NumCPU(), "mutants graded at once")
	seed := fs.Uint64("seed", 0, "base seed of every grading (0: random)")
	list := fs.Bool("list", false, "list the mutants and their diffs without grading them")
	verbose := fs.Bool("v", false, "also show each killed mutant and the rule that killed it")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: mutate [flags] [EXERCISE...]\n\nmutate derives wrong programs from each reference solution, grades them,\nand prints a mutation score per exercise (docs/DEVELOPMENT.md).\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "mutate: "+format+"\n", a...)
		return 2
	}
	if *runs < 1 || *runs > engine.MaxRuns {
		return fail("-n must be between 1 and %d", engine.MaxRuns)
	}
	if *jobs < 1 {
		return fail("-j must be 1 or more")
	}
	for *seed == 0 {
		*seed = rand.Uint64()
	}
	cwd, _ := os.Getwd()
	root, err := course.FindRoot(cwd)
	if err != nil {
		return fail("%v", err)
	}
	c, err := course.Load(root)
	if c == nil {
		return fail("%v", err)
	}
	targets, err := c.Resolve(cwd, fs.Args())
	if err != nil {
		return fail("%v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	type exercise struct {
		e       *course.Exercise
		results []*result
		stale   []string // equivalent entries that name no mutant
	}
	var exs []*exercise
	var all []*result
	for _, t := range targets {
		e := t.Exercise
		if slices.ContainsFunc(exs, func(x *exercise) bool { return x.e == e }) {
			continue
		}
		src, err := c.ReadFile(e.Solution() + "/main.go")
		if err != nil {
			return fail("%v", err)
		}
		ms, err := Mutants("main.go", src)
		if err != nil {
			return fail("%s: %v", e.Solution(), err)
		}
		x := &exercise{e: e}
		names := map[string]bool{}
		for _, m := range ms {
			r := &result{Mutant: m, e: e, diff: diff(src, m.Src)}
			for _, q := range e.Meta.Equivalent {
				if q.Mutation == m.Name {
					r.equivalent = q.Why
				}
			}
			names[m.Name] = true
			x.results = append(x.results, r)
			all = append(all, r)
		}
		for _, q := range e.Meta.Equivalent {
			if !names[q.Mutation] {
				x.stale = append(x.stale, q.Mutation)
			}
		}
		exs = append(exs, x)
	}

	if *list {
		for _, x := range exs {
			fmt.Fprintf(stdout, "%s: %d mutants\n", x.e.Name, len(x.results))
			for _, r := range x.results {
				fmt.Fprintf(stdout, "  %s\n%s", r.Name, indent(r.diff, "    "))
			}
		}
		return 0
	}

	// Grade every mutant of every exercise: the mutants mostly sleep, so
	// several at once keep the CPUs busy without slowing each other much.
	tmp, err := os.MkdirTemp("", "mutate-")
	if err != nil {
		return fail("%v", err)
	}
	defer os.RemoveAll(tmp)
	start := time.Now()
	var mu sync.Mutex
	done := 0
	var eg errgroup.Group
	eg.SetLimit(*jobs)
	for i, r := range all {
		eg.Go(func() error {
			if ctx.Err() != nil {
				return nil
			}
			dir := filepath.Join(tmp, fmt.Sprint(i))
			if err := os.MkdirAll(dir, 0o777); err != nil {
				r.err = err
				return nil
			}
			defer os.RemoveAll(dir)
			if err := os.WriteFile(filepath.Join(dir, "main.go"), r.Src, 0o666); err != nil {
				r.err = err
				return nil
			}
			v, err := engine.Grade(ctx, c, course.Target{Exercise: r.e}, engine.Params{Runs: *runs, Seed: *seed, Source: dir})
			switch {
			case err != nil:
				r.err = err
			case v.Compile != nil:
				r.out = noCompile
				r.rule = firstLine(v.Compile.Output)
			case v.Passed():
				r.out = survived
			default:
				r.out = killed
				if h := v.Headline(); h != nil {
					r.rule = h.Rule
				}
			}
			mu.Lock()
			done++
			fmt.Fprintf(stderr, "\rmutate: %d/%d mutants graded", done, len(all))
			mu.Unlock()
			return nil
		})
	}
	_ = eg.Wait()
	fmt.Fprintln(stderr)
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "mutate: stopped")
		return 130
	}

	code := 0
	type row struct {
		name                                          string
		total, kill, surv, equiv, nocomp, falseAlarms int
	}
	var rows []row
	for _, x := range exs {
		rw := row{name: x.e.Name, total: len(x.results)}
		var lines []string
		for _, r := range x.results {
			switch {
			case r.err != nil:
				code = 1
				lines = append(lines, fmt.Sprintf("  ERROR      %s: %v", r.Name, r.err))
			case r.equivalent != "" && r.out == survived:
				rw.equiv++
				lines = append(lines, fmt.Sprintf("  equivalent %s: %s", r.Name, r.equivalent))
			case r.equivalent != "":
				// listed as correct, yet rejected: a rule fails a correct
				// program, or the entry is out of date
				rw.falseAlarms++
				code = 1
				lines = append(lines, fmt.Sprintf("  REJECTED   %s is listed as equivalent (%s) but was rejected: %s\n%s", r.Name, r.equivalent, r.rule, indent(r.diff, "      ")))
			case r.out == noCompile:
				rw.nocomp++
				if *verbose {
					lines = append(lines, fmt.Sprintf("  no compile %s: %s", r.Name, r.rule))
				}
			case r.out == survived:
				rw.surv++
				code = 1
				lines = append(lines, fmt.Sprintf("  SURVIVED   %s\n%s", r.Name, indent(r.diff, "      ")))
			default:
				rw.kill++
				if *verbose {
					lines = append(lines, fmt.Sprintf("  killed     %s: %s", r.Name, r.rule))
				}
			}
		}
		for _, s := range x.stale {
			code = 1
			lines = append(lines, fmt.Sprintf("  STALE      exercise.json lists %s as equivalent, but the solution has no such mutant any more: remove the entry", s))
		}
		rows = append(rows, rw)
		fmt.Fprintf(stdout, "%s: %s\n", x.e.Name, score(rw.kill, rw.total-rw.equiv-rw.nocomp-rw.falseAlarms))
		for _, l := range lines {
			fmt.Fprintln(stdout, l)
		}
	}
	fmt.Fprintf(stdout, "\n%-30s %7s %7s %8s %10s %10s  %s\n", "exercise", "mutants", "killed", "survived", "equivalent", "no compile", "score")
	var t row
	for _, r := range rows {
		fmt.Fprintf(stdout, "%-30s %7d %7d %8d %10d %10d  %s\n", r.name, r.total, r.kill, r.surv, r.equiv, r.nocomp, score(r.kill, r.total-r.equiv-r.nocomp-r.falseAlarms))
		t.total += r.total
		t.kill += r.kill
		t.surv += r.surv
		t.equiv += r.equiv
		t.nocomp += r.nocomp
		t.falseAlarms += r.falseAlarms
	}
	fmt.Fprintf(stdout, "%-30s %7d %7d %8d %10d %10d  %s\n", "all", t.total, t.kill, t.surv, t.equiv, t.nocomp, score(t.kill, t.total-t.equiv-t.nocomp-t.falseAlarms))
	fmt.Fprintf(stdout, "(-n %d -seed %d, %s; the score is killed / mutants that compile and are not listed as equivalent)\n", *runs, *seed, time.Since(start).Round(time.Second))
	return code
}

func score(k, n int) string {
	if n == 0 {
		return "no mutants"
	}
	return fmt.Sprintf("%d/%d (%d%%)", k, n, k*100/n)
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

func indent(s, pre string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString(pre + l + "\n")
	}
	return b.String()
}
