// Command grade grades forklore exercises: it runs each program many times
// with a perturbed schedule and checks rules that must hold in every run.
//
// Usage:
//
//	go run ./cmd/grade [-n runs] [-seed S] [-timeout d] [-cmd 'CMD ARGS'] [-json] [-junit file] [-solutions] [-v] [packages]
//
// See docs/checks.md for the grading scripts and the exit codes.
package main

import (
	"os"

	"github.com/forklore/forklore/internal/grade"
)

func main() {
	os.Exit(grade.Main(os.Args[1:], os.Stdout, os.Stderr))
}
