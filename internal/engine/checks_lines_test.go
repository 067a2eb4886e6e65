package engine

import (
	"regexp"
	"strings"
	"testing"
)

// TestLineLead: lead A N B holds when N lines matching A come before the
// first line matching B; as `sometimes lead`, it tells tasks that overlap
// from tasks run one after another.
func TestLineLead(t *testing.T) {
	run, end := regexp.MustCompile(`^\w+ run$`), regexp.MustCompile(`^\w+ end$`)
	for _, tc := range []struct {
		name, out string
		bad       int // the offending line; 0: none
	}{
		{"two overlap", "egon run\nalex run\negon end\nalex end", 0},
		{"all four overlap", "egon run\nalex run\nwupeiqi run\nyuanhao run\nalex end\negon end", 0},
		{"one after another", "egon run\negon end\nalex run\nalex end", 2},
		{"an end before any run", "egon end\negon run", 1},
		{"no end at all", "egon run\nalex run", -1},
	} {
		var lines []Line
		for i, l := range strings.Split(tc.out, "\n") {
			lines = append(lines, Line{N: i + 1, Text: l})
		}
		v := checkLead(lines, run, 2, end)
		switch {
		case tc.bad == 0 && v != nil:
			t.Errorf("%s: lead = %q; want no violation", tc.name, v.why)
		case tc.bad > 0 && (v == nil || v.lines[0].N != tc.bad):
			t.Errorf("%s: lead = %+v; want a violation at line %d", tc.name, v, tc.bad)
		case tc.bad < 0 && (v == nil || len(v.lines) != 0):
			t.Errorf("%s: lead = %+v; want a violation that quotes no line", tc.name, v)
		}
	}
}
