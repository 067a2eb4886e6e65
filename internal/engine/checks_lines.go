package engine

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/forklore/forklore/internal/i18n"
	"github.com/google/go-cmp/cmp"
)

// The checks of lines: each is a pure function of the lines a run printed,
// returning nil when the run keeps the rule.

func prepareCount(c *call) (func(*state) error, error) {
	return countCheck(c, func(op Op, n int, re *regexp.Regexp) i18n.Msg {
		return i18n.M("%s %d lines match `%s`", op.words(), n, re)
	}, checkCount)
}

func prepareDistinct(c *call) (func(*state) error, error) {
	return countCheck(c, func(op Op, n int, re *regexp.Regexp) i18n.Msg {
		return i18n.M("%s %d distinct values match `%s`", op.words(), n, re)
	}, checkDistinct)
}

// countCheck prepares a check of the form REGEXP OP N.
func countCheck(c *call, desc func(Op, int, *regexp.Regexp) i18n.Msg, f func([]Line, *regexp.Regexp, Op, int) *violation) (func(*state) error, error) {
	re, err := c.regexp(c.args[0])
	if err != nil {
		return nil, err
	}
	op, err := c.op(c.args[1])
	if err != nil {
		return nil, err
	}
	n, err := c.count(c.args[2])
	if err != nil {
		return nil, err
	}
	return func(s *state) error {
		return s.judge(c, desc(op, n, re), false, func(r *Run) (*violation, error) {
			return f(s.linesOf(c, r), re, op, n), nil
		})
	}, nil
}

func prepareAfter(c *call) (func(*state) error, error) {
	return pairCheck(c, func(a, b *regexp.Regexp) i18n.Msg {
		return i18n.M("every line matching `%s` comes after all lines matching `%s`", b, a)
	}, checkAfter)
}

func prepareSameSet(c *call) (func(*state) error, error) {
	return pairCheck(c, func(a, b *regexp.Regexp) i18n.Msg {
		return i18n.M("the values of `%s` are exactly the values of `%s`", a, b)
	}, checkSameSet)
}

func prepareDisjoint(c *call) (func(*state) error, error) {
	return pairCheck(c, func(a, b *regexp.Regexp) i18n.Msg {
		return i18n.M("no value of `%s` equals a value of `%s`", a, b)
	}, checkDisjoint)
}

// pairCheck prepares a check over two regexps.
func pairCheck(c *call, desc func(a, b *regexp.Regexp) i18n.Msg, f func([]Line, *regexp.Regexp, *regexp.Regexp) *violation) (func(*state) error, error) {
	a, err := c.regexp(c.args[0])
	if err != nil {
		return nil, err
	}
	b, err := c.regexp(c.args[1])
	if err != nil {
		return nil, err
	}
	return func(s *state) error {
		return s.judge(c, desc(a, b), false, func(r *Run) (*violation, error) {
			return f(s.linesOf(c, r), a, b), nil
		})
	}, nil
}

func prepareAbsent(c *call) (func(*state) error, error) {
	re, err := c.regexp(c.args[0])
	if err != nil {
		return nil, err
	}
	return func(s *state) error {
		return s.judge(c, i18n.M("no line matches `%s`", re), false, func(r *Run) (*violation, error) {
			return checkAbsent(s.linesOf(c, r), re), nil
		})
	}, nil
}

func prepareBefore(c *call) (func(*state) error, error) {
	a, err := c.regexp(c.args[0])
	if err != nil {
		return nil, err
	}
	// B is a template: check that it compiles with its references filled.
	if _, err := expand(c.args[1], a, make([]string, a.NumSubexp()+1)); err != nil {
		return nil, c.errorf("bad regexp %q: %v", c.args[1], err)
	}
	return func(s *state) error {
		return s.judge(c, i18n.M("each line matching `%s` comes before its `%s`", a, c.args[1]), false, func(r *Run) (*violation, error) {
			return checkBefore(s.linesOf(c, r), a, c.args[1])
		})
	}, nil
}

func prepareCompare(c *call) (func(*state) error, error) {
	re, err := c.regexp(c.args[0])
	if err != nil {
		return nil, err
	}
	op, err := c.op(c.args[1])
	if err != nil {
		return nil, err
	}
	x, err := strconv.ParseFloat(c.args[2], 64)
	if err != nil {
		return nil, c.errorf("%q is not a number", c.args[2])
	}
	return func(s *state) error {
		return s.judge(c, i18n.M("every value of `%s` is %s %v", re, op, x), false, func(r *Run) (*violation, error) {
			return checkCompare(s.linesOf(c, r), re, op, x), nil
		})
	}, nil
}

func prepareSometimes(c *call) (func(*state) error, error) {
	inner, ok := lookup(c.args[0])
	if !ok || !inner.check {
		return nil, c.errorf("%q is not a check; sometimes takes a check such as count or after", c.args[0])
	}
	ic, err := inner.parse(c.Stmt, c.args[1:])
	if err != nil {
		return nil, &ScriptError{c.Pos, err.Error()}
	}
	ic.sometimes = true
	return inner.prepare(ic)
}

// Op is a comparison operator: ==, !=, <, <=, > or >=.
type Op string

var ops = []Op{"==", "!=", "<", "<=", ">", ">="}

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

// words says op in plain words, as in "at least".
func (op Op) words() i18n.Msg {
	return map[Op]i18n.Msg{"==": i18n.M("exactly"), "!=": i18n.M("other than"), "<": i18n.M("fewer than"),
		"<=": i18n.M("at most"), ">": i18n.M("more than"), ">=": i18n.M("at least")}[op]
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

func checkCount(lines []Line, re *regexp.Regexp, op Op, n int) *violation {
	ls, _ := matches(lines, re)
	if op.holds(float64(len(ls)), float64(n)) {
		return nil
	}
	why := i18n.M("%s `%s`; want %s %d", i18n.Plural(len(ls), "%d line matches", "%d lines match"), re, op.words(), n)
	if len(ls) > n {
		return violate(why, ls[n:]...)
	}
	return violate(why, ls...)
}

func checkAbsent(lines []Line, re *regexp.Regexp) *violation {
	ls, _ := matches(lines, re)
	if len(ls) == 0 {
		return nil
	}
	return violate(i18n.M("line %d matches `%s`, which must never be printed", ls[0].N, re), ls...)
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

func checkBefore(lines []Line, a *regexp.Regexp, b string) (*violation, error) {
	as, ms := matches(lines, a)
	seen := map[string]bool{}
	for i, al := range as {
		bre, err := expand(b, a, ms[i])
		if err != nil {
			return nil, fmt.Errorf("bad pattern %q: %v", b, err)
		}
		bs, _ := matches(lines, bre)
		first := !seen[key(ms[i])]
		seen[key(ms[i])] = true
		if first && len(bs) > 0 && bs[0].N < al.N {
			return violate(i18n.M("line %d `%s` comes before line %d `%s`; it must come after it",
				bs[0].N, bs[0].Text, al.N, al.Text), bs[0], al), nil
		}
		if len(bs) == 0 || bs[len(bs)-1].N < al.N {
			return violate(i18n.M("line %d `%s` has no line matching `%s` after it", al.N, al.Text, bre), al), nil
		}
	}
	return nil, nil
}

func checkAfter(lines []Line, a, b *regexp.Regexp) *violation {
	bs, _ := matches(lines, b)
	if len(bs) == 0 {
		return violate(i18n.M("no line matches `%s`", b))
	}
	as, _ := matches(lines, a)
	if len(as) > 0 && as[len(as)-1].N > bs[0].N {
		last := as[len(as)-1]
		return violate(i18n.M("line %d `%s` comes before line %d `%s`; it must come after all lines matching `%s`",
			bs[0].N, bs[0].Text, last.N, last.Text, a), bs[0], last)
	}
	return nil
}

// prepareLead: LEAD A N B, at least N lines matching A come before the
// first line matching B. As `sometimes lead`, it says that tasks overlap
// (a second one starts before the first ends) without asking all of them
// to overlap at once, which a busy machine that starts processes slowly
// can deny in every run.
func prepareLead(c *call) (func(*state) error, error) {
	a, err := c.regexp(c.args[0])
	if err != nil {
		return nil, err
	}
	n, err := c.count(c.args[1])
	if err != nil {
		return nil, err
	}
	b, err := c.regexp(c.args[2])
	if err != nil {
		return nil, err
	}
	desc := i18n.M("%s come before the first line matching `%s`", i18n.Plural(n, "%d line matching `%s`", "%d lines matching `%s`", a), b)
	return func(s *state) error {
		return s.judge(c, desc, false, func(r *Run) (*violation, error) {
			return checkLead(s.linesOf(c, r), a, n, b), nil
		})
	}, nil
}

func checkLead(lines []Line, a *regexp.Regexp, n int, b *regexp.Regexp) *violation {
	var seen []Line
	for _, l := range lines {
		if b.MatchString(l.Text) {
			if len(seen) >= n {
				return nil
			}
			return violate(i18n.M("line %d `%s` comes after only %s; want %d before it", l.N, l.Text, i18n.Plural(len(seen), "%d line matching `%s`", "%d lines matching `%s`", a), n), append([]Line{l}, seen...)...)
		}
		if a.MatchString(l.Text) {
			seen = append(seen, l)
		}
	}
	return violate(i18n.M("no line matches `%s`", b))
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

func checkSameSet(lines []Line, a, b *regexp.Regexp) *violation {
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
		return violate(i18n.M("%q appears %s in lines matching `%s` but %s in lines matching `%s`; all differences (- only in the first, + only in the second):\n%s",
			k, times(ac[k]), a, times(bc[k]), b, multisetDiff(ac, bc)), quote...)
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

func checkCompare(lines []Line, re *regexp.Regexp, op Op, x float64) *violation {
	ls, ms := matches(lines, re)
	for i, m := range ms {
		v, err := strconv.ParseFloat(key(m), 64)
		if err != nil {
			return violate(i18n.M("line %d: %q is not a number", ls[i].N, key(m)), ls[i])
		}
		if !op.holds(v, x) {
			return violate(i18n.M("line %d: %v is not %s %v", ls[i].N, v, op, x), ls[i])
		}
	}
	return nil
}

func checkDistinct(lines []Line, re *regexp.Regexp, op Op, n int) *violation {
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
	return violate(i18n.M("%s `%s`; want %s %d", i18n.Plural(len(seen), "%d distinct value matches", "%d distinct values match"), re, op.words(), n), firsts...)
}

func checkDisjoint(lines []Line, a, b *regexp.Regexp) *violation {
	al, am := matches(lines, a)
	bl, bm := matches(lines, b)
	for i, x := range am {
		for j, y := range bm {
			if key(x) == key(y) {
				return violate(i18n.M("%q is captured both by line %d and by line %d; they must differ",
					key(x), al[i].N, bl[j].N), al[i], bl[j])
			}
		}
	}
	return nil
}

// times says how often a value appears: "once", "3 times".
func times(n int) i18n.Msg {
	return i18n.Plural(n, "%d time", "%d times")
}
