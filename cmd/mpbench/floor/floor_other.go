//go:build !linux

// Command floor measures the machine's floors for cmd/mpbench. It uses
// memfd and futex(2), so it runs on Linux only.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "floor: the floors are measured on Linux only (memfd, futex)")
	os.Exit(1)
}
