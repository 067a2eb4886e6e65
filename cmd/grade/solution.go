package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/forklore/forklore/internal/i18n"
	"github.com/google/go-cmp/cmp"
)

func init() { subcommands["solution"] = solutionCmd }

const solutionUsage = `usage: grade solution [-lang en|zh] EXERCISE

solution shows the reference solution once your program has passed (it
stays shown after later edits), then what differs between yours and it,
line by line: - only in yours, + only in the reference.
`

func solutionCmd(args []string, stdout, stderr io.Writer) int {
	s, e, _, code := exerciseCmd("solution", solutionUsage, args, false, stdout, stderr, nil)
	if code >= 0 {
		return code
	}
	if r, ok := s.book.Last(e); !ok || !r.EverPassed {
		fmt.Fprintln(stdout, i18n.T(s.lang, "%s has not passed yet: the reference solution is shown after a pass. Run `go run ./cmd/grade watch %s`; `go run ./cmd/grade hint %s` helps.", e.Name, short(e), short(e)))
		return 1
	}
	ref, err := s.c.ReadFile(e.Solution() + "/main.go")
	if err != nil {
		return s.fail(err.Error())
	}
	mine, err := s.c.ReadFile(e.Stub())
	if err != nil {
		return s.fail(err.Error())
	}
	fmt.Fprintf(stdout, "%s (%s)\n\n", i18n.T(s.lang, "The reference solution of %s", e.Name), e.Solution()+"/main.go")
	for i, l := range strings.Split(strings.TrimRight(string(ref), "\n"), "\n") {
		fmt.Fprintf(stdout, "%4d  %s\n", i+1, l)
	}
	d := cmp.Diff(lines(mine), lines(ref))
	fmt.Fprintf(stdout, "\n%s\n", i18n.T(s.lang, "Yours (%s) beside it: - only in yours, + only in the reference", e.Stub()))
	if d == "" {
		fmt.Fprintln(stdout, i18n.T(s.lang, "(they are the same)"))
	} else {
		fmt.Fprint(stdout, d)
	}
	return 0
}

func lines(b []byte) []string { return strings.Split(strings.TrimRight(string(b), "\n"), "\n") }
