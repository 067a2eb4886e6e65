package main

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/forklore/forklore/internal/i18n"
)

func init() { subcommands["list"] = listCmd }

const listUsage = `usage: grade list [-lang en|zh]

list shows every exercise with its chapter and status: not started (the
stub as shipped), failing (with its first failing rule), passed, or
changed since it was last graded. It builds and runs nothing: a status
comes from the files and from remembered verdicts (in .grade/).
`

func listCmd(args []string, stdout, stderr io.Writer) int {
	var lang string
	fs := newFlags("list", listUsage, &lang, stdout, stderr)
	if code := parseFlags(fs, args, stdout); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "grade list: takes no arguments, got %q; see grade list -h\n", fs.Args())
		return 2
	}
	s, code := openSession(lang, stdout, stderr)
	if s == nil {
		return code
	}
	states, err := s.book.States()
	if err != nil {
		return s.fail(err.Error())
	}
	tw := tabwriter.NewWriter(stdout, 2, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "%s\t%s\t%s\n", i18n.T(s.lang, "exercise"), i18n.T(s.lang, "chapter"), i18n.T(s.lang, "status"))
	for _, st := range states {
		fmt.Fprintf(tw, "%s %s\t%s\t%s\n", mark(st.Status), st.E.Name, strconv.Itoa(st.E.Meta.Chapter), statusText(s.lang, st))
	}
	tw.Flush()
	return 0
}
