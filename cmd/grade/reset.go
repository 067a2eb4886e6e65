package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/forklore/forklore/internal/i18n"
)

func init() { subcommands["reset"] = resetCmd }

const resetUsage = `usage: grade reset [-y] [-lang en|zh] EXERCISE

reset puts the exercise's stub back as the course ships it. It asks first
(unless -y), and copies your Go files into .grade/backup/NAME/TIME/ before
it changes anything; a file of yours other than main.go is removed after
its copy is made. It needs no git.
`

func resetCmd(args []string, stdout, stderr io.Writer) int {
	return resetWith(os.Stdin, args, stdout, stderr)
}

func resetWith(stdin io.Reader, args []string, stdout, stderr io.Writer) int {
	var yes *bool
	s, e, _, code := exerciseCmd("reset", resetUsage, args, false, stdout, stderr, func(fs *flag.FlagSet) {
		yes = fs.Bool("y", false, "do not ask")
	})
	if code >= 0 {
		return code
	}
	untouched, err := s.c.Untouched(e)
	if err != nil {
		return s.fail(err.Error())
	}
	if untouched {
		fmt.Fprintln(stdout, i18n.T(s.lang, "%s has no changes: it is the stub as shipped; nothing to reset", e.Dir))
		return 0
	}
	stub, err := s.c.ShippedStub(e)
	if err != nil {
		return s.fail(err.Error())
	}
	if !*yes {
		fmt.Fprint(stdout, i18n.T(s.lang, "Replace your %s with the stub as shipped? Your files are backed up first. [y/N] ", e.Dir))
		line, _ := bufio.NewReader(stdin).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" && a != "是" {
			fmt.Fprintln(stdout, i18n.T(s.lang, "nothing changed"))
			return 1
		}
	}
	backup, err := s.book.Backup(e)
	if err != nil {
		return s.fail(err.Error())
	}
	dir := filepath.Join(s.c.Root, filepath.FromSlash(e.Dir))
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	for _, f := range files {
		if filepath.Base(f) != "main.go" {
			if err := os.Remove(f); err != nil {
				return s.fail(err.Error())
			}
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), stub, 0o666); err != nil {
		return s.fail(i18n.T(s.lang, "cannot write %s: %v; your files are safe in %s", e.Stub(), err, backup))
	}
	fmt.Fprintln(stdout, i18n.T(s.lang, "%s is the stub as shipped again; your files are in %s", e.Stub(), backup))
	return 0
}
