package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/forklore/forklore/internal/class"
	"github.com/forklore/forklore/internal/course"
)

func init() { subcommands["democlass"] = democlassCmd }

const democlassUsage = `usage: grade democlass DIR [exercises]

grade democlass writes a made-up class of 30 submissions into DIR, to try
grade -submissions on before a real class: reference solutions, known-wrong
programs, untouched stubs, a student who edited the rules, one whose code
does not compile, an empty folder and more. The student's folder name says
what it holds and so what it deserves (docs/teaching.md).
`

// democlassCmd is `grade democlass`.
func democlassCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("grade democlass", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, democlassUsage) }
	if code, ok := parseSub(fs, args); !ok {
		return code
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "grade democlass: "+format+"\n", a...)
		return 2
	}
	if fs.NArg() < 1 {
		fs.Usage()
		return 2
	}
	c, cwd, err := courseHere("")
	if err != nil {
		return fail("%v", err)
	}
	var es []*course.Exercise
	if fs.NArg() > 1 {
		targets, err := c.Resolve(cwd, fs.Args()[1:])
		if err != nil {
			return fail("%v", err)
		}
		for _, t := range targets {
			es = append(es, t.Exercise)
		}
	}
	expect, err := class.Generate(c, fs.Arg(0), class.GenerateParams{Exercises: es})
	if err != nil {
		return fail("%v", strings.TrimPrefix(err.Error(), "class: "))
	}
	fmt.Fprintf(stdout, "wrote %d submissions into %s; grade them with:\n  go run ./cmd/grade -submissions %s -out grades\n", len(expect), fs.Arg(0), fs.Arg(0))
	return 0
}
