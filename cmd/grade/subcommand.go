package main

import (
	"errors"
	"flag"
	"os"

	"github.com/forklore/forklore/internal/course"
)

// parseSub parses a subcommand's flags; ok is false when the subcommand
// must stop, with the exit code: 0 for -h, 2 for a bad flag.
func parseSub(fs *flag.FlagSet, args []string) (code int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, false
		}
		return 2, false
	}
	return 0, true
}

// courseHere loads the course of the checkout around the working
// directory, which it returns too, with its rules from where -rules says
// (see loadCourse).
func courseHere(rules string) (*course.Course, string, error) {
	cwd, err := os.Getwd()
	if err != nil {
		return nil, "", err
	}
	root, err := course.FindRoot(cwd)
	if err != nil {
		return nil, "", err
	}
	c, err := loadCourse(root, rules)
	if c == nil {
		return nil, "", err
	}
	return c, cwd, nil
}
