//go:build amd64 || arm64

package shm

// cpuPause tells the processor that this thread is spinning (PAUSE on
// amd64, YIELD on arm64): a few tens of nanoseconds that touch no memory.
func cpuPause()
