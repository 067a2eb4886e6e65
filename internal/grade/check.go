package grade

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/google/go-cmp/cmp"
)

// Stream selects which of a run's outputs a check reads.
type Stream uint8

const (
	// Stdout is the program's standard output.
	Stdout Stream = 1 << iota
	// Stderr is the program's standard error.
	Stderr
	// Both is standard output and standard error merged in arrival order.
	Both = Stdout | Stderr
)

// Line is one line of output, numbered from 1 within the lines a check reads.
type Line struct {
	N      int
	Stream Stream
	Text   string
}

// Violation explains why one run broke a rule: Why is a sentence for the
// learner and Lines quotes the offending lines (at most three).
// A nil *Violation means the run kept the rule.
type Violation struct {
	Why   string
	Lines []Line
}

func violate(why string, lines ...Line) *Violation {
	if len(lines) > 3 {
		lines = lines[:3]
	}
	return &Violation{Why: why, Lines: lines}
}

// selectLines returns the lines of the given stream, renumbered from 1.
func selectLines(all []Line, s Stream) []Line {
	var out []Line
	for _, l := range all {
		if l.Stream&s != 0 {
			l.N = len(out) + 1
			out = append(out, l)
		}
	}
	return out
}

// Op is a comparison operator: ==, !=, <, <=, > or >=.
type Op string

var ops = []Op{"==", "!=", "<", "<=", ">", ">="}

func parseOp(s string) (Op, error) {
	if slices.Contains(ops, Op(s)) {
		return Op(s), nil
	}
	return "", fmt.Errorf("grade: unknown comparison %q; use one of == != < <= > >=", s)
}

func (op Op) holds(x, y float64) bool {
	switch op {
	case "==":
		return x == y
	case "!=":
		return x != y
	case "<":
		return x < y
	case "<=":
		return x <= y
	case ">":
		return x > y
	case ">=":
		return x >= y
	}
	return false
}

// words says op in plain English, as in "at least".
func (op Op) words() string {
	return map[Op]string{"==": "exactly", "!=": "other than", "<": "fewer than",
		"<=": "at most", ">": "more than", ">=": "at least"}[op]
}

// key returns the captured text of m that identifies a match: the single
// capture group, all groups joined by spaces, or the whole match.
func key(m []string) string {
	if len(m) == 1 {
		return m[0]
	}
	return strings.Join(m[1:], " ")
}

// matches returns the lines matching re with their submatches.
func matches(lines []Line, re *regexp.Regexp) ([]Line, [][]string) {
	var ls []Line
	var ms [][]string
	for _, l := range lines {
		if m := re.FindStringSubmatch(l.Text); m != nil {
			ls = append(ls, l)
			ms = append(ms, m)
		}
	}
	return ls, ms
}

// CheckCount reports whether the number of lines matching re compares to n by op.
func CheckCount(lines []Line, re *regexp.Regexp, op Op, n int) *Violation {
	ls, _ := matches(lines, re)
	if op.holds(float64(len(ls)), float64(n)) {
		return nil
	}
	why := fmt.Sprintf("%d lines match `%s`; want %s %d", len(ls), re, op.words(), n)
	if len(ls) > n {
		return violate(why, ls[n:]...)
	}
	return violate(why, ls...)
}

// CheckAbsent reports whether no line matches re.
func CheckAbsent(lines []Line, re *regexp.Regexp) *Violation {
	ls, _ := matches(lines, re)
	if len(ls) == 0 {
		return nil
	}
	return violate(fmt.Sprintf("line %d matches `%s`, which must never be printed", ls[0].N, re), ls...)
}

var captureRef = regexp.MustCompile(`\$(\d|\{\w+\})`)

// expand replaces $1..$9 and ${name} in tmpl by the quoted captures of m.
func expand(tmpl string, re *regexp.Regexp, m []string) (*regexp.Regexp, error) {
	s := captureRef.ReplaceAllStringFunc(tmpl, func(ref string) string {
		name := strings.Trim(ref[1:], "{}")
		i, err := strconv.Atoi(name)
		if err != nil {
			i = re.SubexpIndex(name)
		}
		if i < 0 || i >= len(m) {
			return ref
		}
		return regexp.QuoteMeta(m[i])
	})
	return regexp.Compile(s)
}

// CheckBefore reports whether, for each line matching a, a line matching
// b (with a's captures substituted for $1, ${name}) comes after it, and the
// first such b line comes after the first a line with the same captures.
func CheckBefore(lines []Line, a *regexp.Regexp, b string) (*Violation, error) {
	as, ms := matches(lines, a)
	seen := map[string]bool{}
	for i, al := range as {
		bre, err := expand(b, a, ms[i])
		if err != nil {
			return nil, fmt.Errorf("grade: bad pattern %q: %v", b, err)
		}
		bs, _ := matches(lines, bre)
		first := !seen[key(ms[i])]
		seen[key(ms[i])] = true
		if first && len(bs) > 0 && bs[0].N < al.N {
			return violate(fmt.Sprintf("line %d `%s` comes before line %d `%s`; it must come after it",
				bs[0].N, bs[0].Text, al.N, al.Text), bs[0], al), nil
		}
		if len(bs) == 0 || bs[len(bs)-1].N < al.N {
			return violate(fmt.Sprintf("line %d `%s` has no line matching `%s` after it", al.N, al.Text, bre), al), nil
		}
	}
	return nil, nil
}

// CheckAfter reports whether some line matches b and every line matching b
// comes after every line matching a.
func CheckAfter(lines []Line, a, b *regexp.Regexp) *Violation {
	bs, _ := matches(lines, b)
	if len(bs) == 0 {
		return violate(fmt.Sprintf("no line matches `%s`", b))
	}
	as, _ := matches(lines, a)
	if len(as) > 0 && as[len(as)-1].N > bs[0].N {
		last := as[len(as)-1]
		return violate(fmt.Sprintf("line %d `%s` comes before line %d `%s`; it must come after all lines matching `%s`",
			bs[0].N, bs[0].Text, last.N, last.Text, a), bs[0], last)
	}
	return nil
}

func multiset(ls []Line, ms [][]string) (map[string]int, map[string]Line) {
	count := map[string]int{}
	where := map[string]Line{}
	for i, m := range ms {
		k := key(m)
		count[k]++
		where[k] = ls[i]
	}
	return count, where
}

// CheckSameSet reports whether the values captured by a, counted with
// multiplicity, equal those captured by b (produced = consumed).
func CheckSameSet(lines []Line, a, b *regexp.Regexp) *Violation {
	al, am := matches(lines, a)
	bl, bm := matches(lines, b)
	ac, aw := multiset(al, am)
	bc, bw := multiset(bl, bm)
	keys := make([]string, 0, len(ac)+len(bc))
	for k := range ac {
		keys = append(keys, k)
	}
	for k := range bc {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range slices.Compact(keys) {
		if ac[k] == bc[k] {
			continue
		}
		var quote []Line
		if l, ok := aw[k]; ok {
			quote = append(quote, l)
		}
		if l, ok := bw[k]; ok {
			quote = append(quote, l)
		}
		return violate(fmt.Sprintf("%q appears %d times in lines matching `%s` but %d times in lines matching `%s`; all differences (- only in the first, + only in the second):\n%s",
			k, ac[k], a, bc[k], b, multisetDiff(ac, bc)), quote...)
	}
	return nil
}

// multisetDiff shows every key whose count differs, as a go-cmp diff of
// the two sorted multisets.
func multisetDiff(a, b map[string]int) string {
	expand := func(c map[string]int) []string {
		var s []string
		for k, n := range c {
			for range n {
				s = append(s, k)
			}
		}
		slices.Sort(s)
		return s
	}
	return strings.TrimRight(cmp.Diff(expand(a), expand(b)), "\n")
}

// CheckCompare reports whether every value captured by re is a number that
// compares to x by op.
func CheckCompare(lines []Line, re *regexp.Regexp, op Op, x float64) *Violation {
	ls, ms := matches(lines, re)
	for i, m := range ms {
		v, err := strconv.ParseFloat(key(m), 64)
		if err != nil {
			return violate(fmt.Sprintf("line %d: %q is not a number", ls[i].N, key(m)), ls[i])
		}
		if !op.holds(v, x) {
			return violate(fmt.Sprintf("line %d: %v is not %s %v", ls[i].N, v, op, x), ls[i])
		}
	}
	return nil
}

// CheckDistinct reports whether the number of distinct values captured by re
// compares to n by op.
func CheckDistinct(lines []Line, re *regexp.Regexp, op Op, n int) *Violation {
	ls, ms := matches(lines, re)
	seen := map[string]bool{}
	var firsts []Line
	for i, m := range ms {
		if !seen[key(m)] {
			seen[key(m)] = true
			firsts = append(firsts, ls[i])
		}
	}
	if op.holds(float64(len(seen)), float64(n)) {
		return nil
	}
	return violate(fmt.Sprintf("%d distinct values match `%s`; want %s %d", len(seen), re, op.words(), n), firsts...)
}

// CheckDisjoint reports whether no value captured by a equals a value
// captured by b (child pids never equal the main pid).
func CheckDisjoint(lines []Line, a, b *regexp.Regexp) *Violation {
	al, am := matches(lines, a)
	bl, bm := matches(lines, b)
	for i, x := range am {
		for j, y := range bm {
			if key(x) == key(y) {
				return violate(fmt.Sprintf("%q is captured both by line %d and by line %d; they must differ",
					key(x), al[i].N, bl[j].N), al[i], bl[j])
			}
		}
	}
	return nil
}
