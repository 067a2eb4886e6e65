//go:build !linux

package engine

import "os"

// shim needs Linux: process reaping, subreapers and /proc.
func shim(cfg shimConfig) int {
	os.Stderr.WriteString("grade shim: grading runs on Linux only\n")
	return 3
}
