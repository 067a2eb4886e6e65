package course

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Wrong is a known-wrong program: the reference solution with one mistake,
// written as a unified diff against solution/main.go, so that the change is
// all there is to read and it follows the solution when that changes.
//
// A patch file starts with a description of the mistake, then a line
// "Breaks: TEXT", where TEXT is part of the failure the grader must report
// for it, then the diff (`diff -u` or `git diff` output).
type Wrong struct {
	Name   string // the file name without .patch, as in join-each
	File   string // the patch's path, relative to the course root
	About  string // the description
	Breaks string // text the failure must contain
	hunks  []hunk
}

type hunk struct {
	line int      // 1-based line of the old text in the solution
	old  []string // context and removed lines
	new  []string // context and added lines
}

var hunkHeader = regexp.MustCompile(`^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@`)

func parseWrong(w Wrong, text string) (Wrong, error) {
	lines := strings.Split(text, "\n")
	i := 0
	var about []string
	for ; i < len(lines) && !strings.HasPrefix(lines[i], "--- "); i++ {
		if b, ok := strings.CutPrefix(lines[i], "Breaks: "); ok {
			w.Breaks = strings.TrimSpace(b)
			continue
		}
		about = append(about, lines[i])
	}
	w.About = strings.TrimSpace(strings.Join(about, "\n"))
	if w.Breaks == "" {
		return w, errors.New(`no "Breaks: TEXT" line before the diff; TEXT is part of the failure this program must cause`)
	}
	if i == len(lines) {
		return w, errors.New("no diff: write one with `diff -u solution/main.go wrong.go` after the description")
	}
	hunks, err := parseHunks(lines, i)
	w.hunks = hunks
	return w, err
}

// parseHunks parses the unified diff that starts at lines[i], a "--- "
// line.
func parseHunks(lines []string, i int) ([]hunk, error) {
	var hunks []hunk
	if i+1 >= len(lines) || !strings.HasPrefix(lines[i+1], "+++ ") {
		return nil, fmt.Errorf("line %d: a %q line must follow the %q line", i+2, "+++ ", "--- ")
	}
	for i += 2; i < len(lines); {
		m := hunkHeader.FindStringSubmatch(lines[i])
		if m == nil {
			if lines[i] == "" && i == len(lines)-1 {
				break
			}
			return nil, fmt.Errorf("line %d: want a hunk header such as @@ -12,6 +12,7 @@, got %q", i+1, lines[i])
		}
		oldLen, newLen := count(m[2]), count(m[4])
		h := hunk{}
		h.line, _ = strconv.Atoi(m[1])
		if oldLen == 0 {
			h.line++ // "-N,0" names the line after which text is added
		}
		for i++; i < len(lines) && (len(h.old) < oldLen || len(h.new) < newLen); i++ {
			l := lines[i]
			if l == "" {
				l = " " // some editors strip the space of an empty context line
			}
			switch l[0] {
			case ' ':
				h.old = append(h.old, l[1:])
				h.new = append(h.new, l[1:])
			case '-':
				h.old = append(h.old, l[1:])
			case '+':
				h.new = append(h.new, l[1:])
			case '\\':
			default:
				return nil, fmt.Errorf("line %d: a hunk line starts with ' ', '-' or '+', got %q", i+1, lines[i])
			}
		}
		if len(h.old) != oldLen || len(h.new) != newLen {
			return nil, fmt.Errorf("hunk at line %d of the solution is cut short: want %d old and %d new lines", h.line, oldLen, newLen)
		}
		for i < len(lines) && strings.HasPrefix(lines[i], `\`) {
			i++
		}
		hunks = append(hunks, h)
	}
	if len(hunks) == 0 {
		return nil, errors.New("the diff has no hunks: a known-wrong program must differ from the solution")
	}
	return hunks, nil
}

func count(s string) int {
	if s == "" {
		return 1
	}
	n, _ := strconv.Atoi(s)
	return n
}

// Apply returns the solution with the mistake in. A hunk whose lines are
// not at the line the diff names is looked for nearby, as patch(1) does;
// one that is nowhere is an error naming it, so that a changed solution
// shows which known-wrong programs to rewrite.
func (w *Wrong) Apply(solution []byte) ([]byte, error) {
	lines := strings.Split(string(solution), "\n")
	var out []string
	pos, shift := 0, 0
	for _, h := range w.hunks {
		at := find(lines, h.old, h.line-1+shift, pos)
		if at < 0 {
			return nil, fmt.Errorf("%s: the hunk for line %d does not match the solution any more; remake the patch against solution/main.go", w.File, h.line)
		}
		shift = at - (h.line - 1)
		out = append(out, lines[pos:at]...)
		out = append(out, h.new...)
		pos = at + len(h.old)
	}
	out = append(out, lines[pos:]...)
	return []byte(strings.Join(out, "\n")), nil
}

// find returns where old stands in lines, at or after from, the nearest to
// want; or -1.
func find(lines, old []string, want, from int) int {
	match := func(at int) bool {
		if at < from || at+len(old) > len(lines) {
			return false
		}
		for i, l := range old {
			if lines[at+i] != l {
				return false
			}
		}
		return true
	}
	for d := 0; d <= len(lines); d++ {
		if match(want - d) {
			return want - d
		}
		if match(want + d) {
			return want + d
		}
	}
	return -1
}

// Program returns the source of the known-wrong program.
func (c *Course) Program(e *Exercise, w *Wrong) ([]byte, error) {
	sol, err := c.ReadFile(e.Solution() + "/main.go")
	if err != nil {
		return nil, err
	}
	src, err := w.Apply(sol)
	if err != nil {
		return nil, err
	}
	if bytes.Equal(src, sol) {
		return nil, fmt.Errorf("%s: applying it changes nothing", w.File)
	}
	return src, nil
}
