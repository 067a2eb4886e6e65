//go:build !amd64 && !arm64

package shm

// cpuPause would tell the processor that this thread is spinning; this
// architecture gets a plain call.
func cpuPause() {}
