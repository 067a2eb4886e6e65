package engine

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/forklore/forklore/internal/i18n"
)

// state is one grading's progress through its script.
type state struct {
	g      *grading
	runs   []*Run // those of the last run or serve
	served bool   // the last was a serve: its runs have connections
	env    []string
	checks []Check
	// failed[i] lists the runs (0-based) in which checks[i] failed.
	failed [][]int
	// traceSkipped is set once a trace check skipped for lack of a trace.
	traceSkipped bool
}

// violation says why one run broke a rule. skip, if set, means the rule
// does not apply to this run, and why.
type violation struct {
	why     i18n.Msg
	lines   []Line
	skip    i18n.Msg
	timeout bool   // the run did not finish in time
	excerpt []Line // what to show instead of the lines the check read
	file    string // the source file the lines are from, if not the output
}

func violate(why i18n.Msg, lines ...Line) *violation {
	return &violation{why: why, lines: lines[:min(len(lines), 3)]}
}

// rule returns the rule's words in English and in Chinese: -m and -zh;
// else the phase comment, which is English only, and the generated
// description in Chinese; else the generated description.
func (c *call) rule(desc i18n.Msg) (en, zh string) {
	en, zh = desc.In(i18n.En), desc.In(i18n.Zh)
	if c.Phase != "" {
		en = c.Phase
	}
	if m, ok := c.opts["-m"]; ok {
		en, zh = m, m
	}
	if m, ok := c.opts["-zh"]; ok {
		zh = m
	}
	return en, zh
}

// linesOf returns what a check with the call's options reads from run r.
func (s *state) linesOf(c *call, r *Run) []Line {
	switch {
	case c.has("-replies"):
		return replyLines(r.Conns)
	case c.has("-file"):
		b, err := os.ReadFile(filepath.Join(r.Dir, c.opts["-file"]))
		if err != nil {
			return nil
		}
		var ls []Line
		for i, t := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
			ls = append(ls, Line{N: i + 1, Stream: Stdout, Text: t})
		}
		return ls
	case c.has("-stdout"):
		return selectLines(r.Lines, Stdout)
	case c.has("-stderr"):
		return selectLines(r.Lines, Stderr)
	}
	return r.Lines
}

// selectLines returns the lines of the given stream, renumbered from 1.
func selectLines(all []Line, st Stream) []Line {
	var out []Line
	for _, l := range all {
		if l.Stream&st != 0 {
			l.N = len(out) + 1
			out = append(out, l)
		}
	}
	return out
}

// judge applies f to every run (under sometimes, to any run) and records
// the rule's verdict. cause marks a rule whose failure explains others.
func (s *state) judge(c *call, desc i18n.Msg, cause bool, f func(r *Run) (*violation, error)) error {
	if len(s.runs) == 0 {
		return c.errorf("no run to check; put a run or serve command before it")
	}
	if c.has("-replies") && !s.served {
		return c.errorf("-replies needs a serve command before it")
	}
	ch := Check{Command: c.cmd.name, Pos: c.Pos, Status: Pass, Cause: cause, Weight: c.weight()}
	ch.Rule, ch.RuleZh = c.rule(desc)
	if c.sometimes && len(s.runs) < 2 {
		ch.Status = Skip
		ch.addNote(i18n.M("sometimes %s needs more than one run; grade with -n 2 or more", c.cmd.name))
		s.record(ch, nil)
		return nil
	}
	var first *violation
	var firstRun *Run
	var failedRuns []int
	held, skipped := 0, 0
	if c.cmd.check && !c.has("-replies") && !c.has("-file") && c.cmd.name != "overlap" {
		for _, r := range s.runs {
			if r.Truncated {
				ch.addNote(i18n.M("run %d's output was cut (more than %d bytes in all, or a line longer than %d): this rule read only what was kept", r.Index+1, maxOutput, maxLine))
				break
			}
		}
	}
	for k, r := range s.runs {
		v, err := f(r)
		if err != nil {
			return c.errorf("%v", err)
		}
		switch {
		case v == nil:
			held++
			continue
		case !v.skip.IsZero():
			skipped++
			if first == nil {
				first, firstRun = v, r
			}
			continue
		}
		failedRuns = append(failedRuns, k)
		if first == nil || !first.skip.IsZero() {
			first, firstRun = v, r
		}
	}
	switch {
	case c.sometimes && held > 0, !c.sometimes && len(failedRuns) == 0 && skipped == 0:
		s.record(ch, nil)
		return nil
	case len(failedRuns) == 0:
		ch.Status = Skip
		ch.setWhy(first.skip)
		s.record(ch, nil)
		return nil
	}
	ch.Status = Fail
	if first.timeout {
		ch.Status = Timeout
	}
	ch.Run, ch.Seed = firstRun.Index+1, firstRun.Seed
	ch.Lines = first.lines
	ch.setWhy(first.why)
	ch.In = first.file
	if c.sometimes {
		ch.setWhy(i18n.M("this never happened in any of the %d runs; for example, in run %d: %s", len(s.runs), firstRun.Index+1, first.why))
		failedRuns = allRuns(len(s.runs))
	}
	if first.excerpt != nil {
		ch.Excerpt = excerpt(first.excerpt, first.lines)
	} else {
		ch.Excerpt = excerpt(s.linesOf(c, firstRun), first.lines)
	}
	s.record(ch, failedRuns)
	return nil
}

func allRuns(n int) []int {
	rs := make([]int, n)
	for i := range rs {
		rs[i] = i
	}
	return rs
}

func (s *state) record(c Check, failedRuns []int) {
	s.checks = append(s.checks, c)
	s.failed = append(s.failed, failedRuns)
}

// excerpt returns at most 20 lines around the first offending line.
func excerpt(lines []Line, marks []Line) []Line {
	from := 0
	if len(marks) > 0 {
		from = max(0, marks[0].N-1-5)
	}
	if len(lines)-from < 20 {
		from = max(0, len(lines)-20)
	}
	return lines[from:min(len(lines), from+20)]
}

// settle marks the failures that happened only in runs that already failed
// for a cause: they are consequences, not findings of their own.
func (s *state) settle() {
	causeRuns := map[int]bool{}
	for i, c := range s.checks {
		if c.Cause && c.Failed() {
			for _, r := range s.failed[i] {
				causeRuns[r] = true
			}
		}
	}
	for i := range s.checks {
		c := &s.checks[i]
		if c.Cause || !c.Failed() || len(s.failed[i]) == 0 {
			continue
		}
		all := true
		for _, r := range s.failed[i] {
			all = all && causeRuns[r]
		}
		c.Consequence = all
	}
}
