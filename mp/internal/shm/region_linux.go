package shm

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

func anonFile() (*os.File, error) {
	fd, err := unix.MemfdCreate("forklore-shm", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("shm: memfd_create: %w", err)
	}
	return os.NewFile(uintptr(fd), "forklore-shm"), nil
}
