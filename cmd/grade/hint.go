package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/forklore/forklore/internal/i18n"
)

func init() { subcommands["hint"] = hintCmd }

const hintUsage = `usage: grade hint [-lang en|zh] EXERCISE

hint shows the exercise's hints so far and one more each time it is run:
the first nudges, the last nearly tells. It remembers how many it showed
(in .grade/hints/); -reset forgets that.
`

func hintCmd(args []string, stdout, stderr io.Writer) int {
	var forget *bool
	s, e, _, code := exerciseCmd("hint", hintUsage, args, false, stdout, stderr, func(fs *flag.FlagSet) {
		forget = fs.Bool("reset", false, "forget the hints shown, and show none")
	})
	if code >= 0 {
		return code
	}
	if *forget {
		if err := s.book.SetHintsShown(e, 0); err != nil {
			return s.fail(err.Error())
		}
		fmt.Fprintln(stdout, i18n.T(s.lang, "%s: the hints are hidden again", e.Name))
		return 0
	}
	hints := e.Meta.Hints
	if len(hints) == 0 {
		fmt.Fprintln(stdout, i18n.T(s.lang, "%s has no hints; its README explains the task", e.Name))
		return 0
	}
	shown := s.book.HintsShown(e)
	n := min(shown+1, len(hints))
	fmt.Fprintf(stdout, "%s — %s\n", e.Name, e.Title(s.lang))
	for i := range n {
		fmt.Fprintf(stdout, "\n%s\n", i18n.T(s.lang, "Hint %d of %d:", i+1, len(hints)))
		for _, l := range strings.Split(strings.TrimSpace(hints[i].In(s.lang)), "\n") {
			fmt.Fprintf(stdout, "  %s\n", l)
		}
	}
	fmt.Fprintln(stdout)
	if n < len(hints) {
		fmt.Fprintln(stdout, i18n.T(s.lang, "Run `go run ./cmd/grade hint %s` again for the next hint.", short(e)))
	} else {
		fmt.Fprintln(stdout, i18n.T(s.lang, "That was the last hint. After a pass, `go run ./cmd/grade solution %s` shows the reference solution.", short(e)))
	}
	if n > shown {
		if err := s.book.SetHintsShown(e, n); err != nil {
			return s.fail(err.Error())
		}
	}
	return 0
}
