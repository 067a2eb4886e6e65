package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/forklore/forklore/internal/engine"
	"github.com/forklore/forklore/internal/i18n"
	"github.com/forklore/forklore/internal/report"
	"github.com/forklore/forklore/internal/study"
)

// homeCmd is grade with no arguments: the learner's home screen. It
// builds and runs nothing for a stub not started, and nothing for an
// exercise whose verdict is remembered for its content; it grades only
// exercises changed since they were last graded, up to the first one not
// passed, which is the one to work on.
func homeCmd(langFlag string, stdout, stderr io.Writer) int {
	s, code := openSession(langFlag, stdout, stderr)
	if s == nil {
		return code
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	states, err := s.book.States()
	if err != nil {
		return s.fail(err.Error())
	}
	pr := newProgress(stdout, s.lang)
	for i := range states {
		st := &states[i]
		if st.Status == study.Changed {
			p := engine.Params{Parallel: watchParallel()}
			if _, err := s.gradeExercise(ctx, st.E, p, pr); err != nil {
				if ctx.Err() != nil {
					return 130
				}
				return s.fail(fmt.Sprintf("%s: %v", st.E.Name, err))
			}
			if *st, err = s.book.StateOf(st.E); err != nil {
				return s.fail(err.Error())
			}
		}
		if st.Status != study.Passed {
			break
		}
	}
	s.home(stdout, states)
	return 0
}

// home writes the home screen for the states.
func (s *session) home(w io.Writer, states []study.State) {
	done := 0
	for _, st := range states {
		if st.Status == study.Passed {
			done++
		}
	}
	fmt.Fprintf(w, "forklore: %s\n\n", i18n.T(s.lang, "%d of %d exercises done", done, len(states)))
	s.chapters(w, states)
	cur := study.Current(states)
	if cur < 0 {
		fmt.Fprintf(w, "\n%s\n", i18n.T(s.lang, "Every exercise passes: the course is done. `go run ./cmd/grade solution NN` compares yours with the reference solutions."))
		return
	}
	st := states[cur]
	e := st.E
	fmt.Fprintf(w, "\n%s %s — %s\n", i18n.T(s.lang, "Now:"), e.Name, e.Title(s.lang))
	switch st.Status {
	case study.NotStarted:
		fmt.Fprintf(w, "  %s\n", i18n.T(s.lang, "not started: the stub as shipped fails until you complete it, as expected"))
	case study.Failing:
		fmt.Fprintf(w, "  %s %s\n", i18n.T(s.lang, "first failing rule:"), report.Clean(st.Result.RuleIn(s.lang)))
	case study.Changed:
		fmt.Fprintf(w, "  %s\n", i18n.T(s.lang, "changed since it was last graded"))
	}
	fmt.Fprintf(w, "\n%s\n", i18n.T(s.lang, "What to do next:"))
	fmt.Fprintf(w, "  1. %s\n", i18n.T(s.lang, "read %s", s.readme(e)))
	fmt.Fprintf(w, "  2. %s\n", i18n.T(s.lang, "edit %s at its // TODO marks", e.Stub()))
	fmt.Fprintf(w, "  3. %s\n", i18n.T(s.lang, "run `go run ./cmd/grade watch`: it regrades on every save and shows the first failing rule"))
	fmt.Fprintf(w, "  %s\n", i18n.T(s.lang, "Stuck? `go run ./cmd/grade hint %s` gives one more hint each time.", short(e)))
	fmt.Fprintf(w, "\n%s\n", i18n.T(s.lang, "`go run ./cmd/grade list` shows every exercise; docs/learning.md explains the loop."))
}

// chapters writes one line per chapter: how many are done, and a mark
// per exercise.
func (s *session) chapters(w io.Writer, states []study.State) {
	var order []int
	byChapter := map[int][]study.State{}
	for _, st := range states {
		ch := st.E.Meta.Chapter
		if _, ok := byChapter[ch]; !ok {
			order = append(order, ch)
		}
		byChapter[ch] = append(byChapter[ch], st)
	}
	for _, ch := range order {
		var marks strings.Builder
		done := 0
		for _, st := range byChapter[ch] {
			marks.WriteString(mark(st.Status))
			if st.Status == study.Passed {
				done++
			}
		}
		fmt.Fprintf(w, "  %s  %s\n", i18n.T(s.lang, "chapter %d: %d of %d", ch, done, len(byChapter[ch])), marks.String())
	}
	fmt.Fprintf(w, "  %s\n", i18n.T(s.lang, "(✓ passed, ✗ failing, ~ changed since graded, · not started)"))
}

func mark(st study.Status) string {
	switch st {
	case study.Passed:
		return "✓"
	case study.Failing:
		return "✗"
	case study.Changed:
		return "~"
	}
	return "·"
}

// statusText says a status in words, in lang.
func statusText(lang string, st study.State) string {
	switch st.Status {
	case study.Passed:
		return i18n.T(lang, "passed")
	case study.Failing:
		return i18n.T(lang, "failing: %s", report.Clean(st.Result.RuleIn(lang)))
	case study.Changed:
		return i18n.T(lang, "changed since last graded")
	}
	return i18n.T(lang, "not started")
}
