// Command grade grades forklore exercises: it runs each program many times
// with a perturbed schedule and checks rules that must hold in every run.
//
// Usage:
//
//	go run ./cmd/grade [flags] [exercises]
//
// See docs/learning.md for how to read a failure, and docs/checks.md for
// the rules files.
package main

import (
	"os"

	"github.com/forklore/forklore/internal/engine"
)

func main() {
	engine.RunShim()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
