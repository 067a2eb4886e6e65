package timeline

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"

	"github.com/forklore/forklore/internal/engine"
)

// pidField finds pid=<n> (also "pid <n>" and "pid: <n>").
var pidField = regexp.MustCompile(`\bpid[=: ]\s*(\d+)\b`)

// number finds every whole number in a line.
var number = regexp.MustCompile(`\b\d+\b`)

// placeLines places every output line on a lane (see the package doc).
func (b *builder) placeLines() {
	flags := map[int][]string{}
	for _, f := range b.rec.Flagged {
		if !slices.Contains(flags[f.Line], f.Rule) {
			flags[f.Line] = append(flags[f.Line], f.Rule)
		}
		if !slices.Contains(b.m.Rules, f.Rule) {
			b.m.Rules = append(b.m.Rules, f.Rule)
		}
	}
	b.placed = map[string]int{}
	for i, l := range b.rec.Lines {
		if len(flags[l.N]) == 0 && b.full(i) {
			continue
		}
		t := b.at(l.Mono)
		if l.Mono == 0 {
			t = b.traceEnd
		}
		text := l.Text
		if b.limit > 0 {
			text = clip(text, maxText)
		}
		o := outLine{N: l.N, T: t, Stream: streamName(l.Stream), Text: text, Rules: flags[l.N]}
		o.Pid, o.By = b.place(l.Text, t)
		if ln := b.lanes[o.Pid]; o.Pid != 0 && !ln.Open && ln.To < t {
			o.Late = true
		}
		b.placed[kindOf(o.By)]++
		b.m.Lines = append(b.m.Lines, o)
	}
}

func streamName(s engine.Stream) string {
	if s == engine.Stderr {
		return "stderr"
	}
	return "stdout"
}

// kindOf groups the reasons a line was placed, for the legend.
func kindOf(by string) string {
	switch {
	case by == unplaced:
		return "unplaced"
	case by == onlyOne:
		return "only"
	}
	return "text"
}

// place decides the lane of a line with text read at t.
func (b *builder) place(text string, t int64) (int, string) {
	started := func(pid int) bool {
		l, ok := b.lanes[pid]
		return ok && l.From <= t
	}
	if m := pidField.FindStringSubmatch(text); m != nil {
		if pid, err := strconv.Atoi(m[1]); err == nil && started(pid) {
			return pid, fmt.Sprintf(textPid, pid)
		}
	}
	var named []int
	for _, s := range number.FindAllString(text, -1) {
		if pid, err := strconv.Atoi(s); err == nil && started(pid) && !slices.Contains(named, pid) {
			named = append(named, pid)
		}
	}
	if len(named) == 1 {
		return named[0], fmt.Sprintf(numberPid, named[0])
	}
	only := 0
	for pid, l := range b.lanes {
		if l.From <= t {
			if only != 0 {
				return 0, unplaced
			}
			only = pid
		}
	}
	if only != 0 {
		return only, onlyOne
	}
	return 0, unplaced
}
