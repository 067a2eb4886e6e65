// Package report formats grading verdicts, as encoding/json formats
// values: every reporter (text for people, JSON, JUnit XML, GitHub
// annotations) only formats engine.Verdict values and works nothing out.
// Whatever a graded program printed is shown escaped, so that no
// terminal, CI runner or XML parser ever interprets it.
package report

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/forklore/forklore/internal/course"
	"github.com/forklore/forklore/internal/engine"
	"github.com/forklore/forklore/internal/i18n"
)

// Result is one target's outcome: a verdict, or the error that kept
// grading from judging it.
type Result struct {
	Target  course.Target
	Verdict *engine.Verdict
	Err     error
	// Timeline is the file that draws the failing run (package
	// timeline), as the person would type its path; empty if none.
	Timeline string
	// NotStarted marks the learner's stub as shipped, not graded: it
	// fails until the learner completes it, and saying which rule it
	// breaks first would give away what the README has not yet taught.
	NotStarted bool
}

// Status returns the result's status: fail for a stub not started, error
// when grading could not judge.
func (r *Result) Status() engine.Status {
	if r.NotStarted {
		return engine.Fail
	}
	if r.Err != nil || r.Verdict == nil {
		return engine.Error
	}
	return r.Verdict.Status
}

// ExitCode returns the grade command's exit code for the results: 0 when
// all pass, 1 when some fail or time out, 2 when some could not be judged.
func ExitCode(rs []Result) int {
	code := 0
	for i := range rs {
		switch rs[i].Status() {
		case engine.Error:
			return 2
		case engine.Fail, engine.Timeout:
			code = 1
		}
	}
	return code
}

// Clean escapes what a graded program printed so that it is shown, never
// obeyed: control characters (C0 but tab, DEL, C1) and invalid UTF-8 become
// \x1b or \u0085 escapes, and so does a backslash that would start one.
func Clean(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || r < 0x20 && r != '\t' || r >= 0x7f && r <= 0x9f || r == '\\' {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\\':
			b.WriteString(`\\`)
		case r < 0x20 && r != '\t', r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r >= 0x80 && r <= 0x9f:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// why says a failed check's reason with its run, as "run 3 of 20 (seed
// 42): ...", in lang.
func why(lang string, v *engine.Verdict, c *engine.Check) string {
	if c.Run == 0 {
		return c.WhyIn(lang)
	}
	return i18n.T(lang, "run %d of %d (seed %d): %s", c.Run, v.Runs, c.Seed, c.WhyIn(lang))
}

// excerpt formats a check's output excerpt, > marking the offending lines.
func excerpt(c *engine.Check) string {
	if len(c.Excerpt) == 0 {
		if c.Run > 0 {
			return "(no output)\n"
		}
		return ""
	}
	var b strings.Builder
	for _, l := range c.Excerpt {
		mark := "  "
		for _, m := range c.Lines {
			if m.N == l.N {
				mark = "> "
			}
		}
		fmt.Fprintf(&b, "%s%4d | %s\n", mark, l.N, Clean(shorten(l.Text)))
	}
	return b.String()
}

// shorten keeps a line of output short enough to read in a report.
func shorten(s string) string {
	const most = 300
	if len(s) <= most {
		return s
	}
	cut := most
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	hidden := len(s) - cut
	// The grader may have cut the line already: count those bytes too.
	if i := strings.LastIndex(s, "… ("); i >= cut && strings.HasSuffix(s, " bytes cut)") {
		if n, err := strconv.Atoi(s[i+len("… (") : len(s)-len(" bytes cut)")]); err == nil {
			hidden = i - cut + n
		}
	}
	return s[:cut] + fmt.Sprintf("… (%d bytes cut)", hidden)
}

// nextStep tells the person what to do about a result that did not pass.
func nextStep(r *Result, lang string) string {
	t := r.Target
	if r.Err != nil {
		var se *engine.ScriptError
		if errors.As(r.Err, &se) {
			return i18n.T(lang, "next: the rules are broken, not your program: the exercise's author must fix %s:%d", se.Pos.File, se.Pos.Line)
		}
		return i18n.T(lang, "next: grading could not judge this program; fix what the message names, then run `%s` again", gradeCommand(t))
	}
	if r.NotStarted {
		return i18n.T(lang, "next: read %s, complete %s at its // TODO marks, then run `%s` (it regrades on every save)", readme(t, lang), t.Stub(), "go run ./cmd/grade watch "+t.Name[:2])
	}
	v := r.Verdict
	if v.Compile != nil {
		return i18n.T(lang, "next: fix %s:%d, then run `%s` again", v.Compile.File, v.Compile.Line, gradeCommand(t))
	}
	if t.Kind == course.Mistake {
		return i18n.T(lang, "next: this known-wrong program fails as it must when its failure names %q", t.Wrong.Breaks)
	}
	s := i18n.T(lang, "next: edit %s, then run `%s` again", t.Source(), gradeCommand(t))
	if t.Kind == course.Learner {
		s += i18n.T(lang, " (the task is in %s)", readme(t, lang))
	}
	return s
}

// readme returns the exercise's README in lang.
func readme(t course.Target, lang string) string {
	if lang == i18n.Zh {
		return t.Dir + "/README.zh.md"
	}
	return t.Dir + "/README.md"
}

// gradeCommand is the command that grades the target again.
func gradeCommand(t course.Target) string {
	return "go run ./cmd/grade " + t.Arg()
}
