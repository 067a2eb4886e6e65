//go:build unix && !linux

package shm

import (
	"fmt"
	"os"
)

// anonFile returns an unlinked temporary file: without memfd, the file lives
// on until its last descriptor and mapping are gone.
func anonFile() (*os.File, error) {
	f, err := os.CreateTemp("", "forklore-shm-*")
	if err != nil {
		return nil, fmt.Errorf("shm: creating region file: %w", err)
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, fmt.Errorf("shm: unlinking region file: %w", err)
	}
	return f, nil
}
