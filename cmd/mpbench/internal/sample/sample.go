// Package sample holds what the measuring programs of cmd/mpbench (the mp
// probe and the floor) share, so that both sides of a ratio take their
// figures the same way.
package sample

import (
	"slices"
	"time"
)

// Median returns the median of n timings of f, in seconds.
func Median(n int, f func()) float64 {
	ds := make([]float64, n)
	for i := range ds {
		t := time.Now()
		f()
		ds[i] = time.Since(t).Seconds()
	}
	slices.Sort(ds)
	return ds[n/2]
}

// Runs is how many times MedianRun runs a measurement of two processes
// working together: one run is a single sample, which one unlucky
// scheduling decision can halve, while the figures of short operations are
// medians of hundreds.
const Runs = 5

// MedianRun returns the median of Runs results of f.
func MedianRun(f func() float64) float64 {
	xs := make([]float64, Runs)
	for i := range xs {
		xs[i] = f()
	}
	slices.Sort(xs)
	return xs[Runs/2]
}
