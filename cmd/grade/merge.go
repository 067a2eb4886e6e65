package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/forklore/forklore/internal/class"
	"github.com/forklore/forklore/internal/course"
)

func init() { subcommands["merge"] = mergeCmd }

const mergeUsage = `usage: grade merge [-out DIR] FILES...

grade merge joins the results of a class graded in shards
(grade -submissions DIR -shard K/N -seed S, which writes
results-K-of-N.json) into the gradebook, per-student reports and
results.json that an unsharded run writes. Every shard must be given
exactly once, all graded with the same flags, submissions and rules;
run it in the grader's checkout at the commit the shards used.

Flags:
`

// mergeCmd is `grade merge`.
func mergeCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("grade merge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "grades", "the `folder` to write the gradebook and reports into")
	rules := fs.String("rules", "", "the -rules the shards were graded with (`DIR` or builtin)")
	fs.Usage = func() { fmt.Fprint(stderr, mergeUsage); fs.PrintDefaults() }
	if code, ok := parseSub(fs, args); !ok {
		return code
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "grade merge: "+format+"\n", a...)
		return 2
	}
	if fs.NArg() == 0 {
		return fail("give the shards' results files, as in grade merge shards/results-*-of-4.json")
	}
	var rs []*class.Results
	for _, name := range fs.Args() {
		r, err := class.ReadResults(name)
		if err != nil {
			return fail("%v", strings.TrimPrefix(err.Error(), "class: "))
		}
		rs = append(rs, r)
	}
	merged, err := class.Merge(fs.Args(), rs)
	if err != nil {
		var me *class.MergeError
		if errors.As(err, &me) {
			for _, p := range me.Problems {
				fmt.Fprintf(stderr, "grade merge: %s\n", p)
			}
			return 2
		}
		return fail("%v", err)
	}
	c, _, err := courseHere(*rules)
	if err != nil {
		return fail("%v", err)
	}
	var es []*course.Exercise
	for _, e := range merged.Exercises {
		x := c.Lookup(e.Name)
		if x == nil {
			return fail("this checkout has no exercise %s; run grade merge in the grader's checkout that graded the shards", e.Name)
		}
		es = append(es, x)
	}
	if fp := class.Fingerprint(c, es); fp != merged.Course {
		return fail("the shards were graded with other rules (course %s) than this checkout's (course %s); run grade merge at the commit that graded them", merged.Course, fp)
	}
	book, err := merged.WriteFiles(*out, c)
	if err != nil {
		return fail("%v", strings.TrimPrefix(err.Error(), "class: "))
	}
	fmt.Fprintf(stdout, "merged %d shards: %d students × %d exercises\n", len(rs), len(merged.Students), len(merged.Exercises))
	fmt.Fprint(stdout, wrote(*out, book))
	return cellsExit(merged.Cells, stderr)
}
