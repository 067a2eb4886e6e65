package mp_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestNoNetInCore checks that mp does not link package net (nor, through
// it, cgo): a program that links net is dynamically linked by default when
// a C compiler is present, and then each child start pays for the dynamic
// loader. Passing connections lives in mp/mpnet.
func TestNoNetInCore(t *testing.T) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list the dependencies with")
	}
	out, err := exec.Command(goCmd, "list", "-deps", "github.com/forklore/forklore/mp").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	for _, pkg := range []string{"net", "runtime/cgo", "os/user", "crypto/rand"} {
		if slices.Contains(deps, pkg) {
			t.Errorf("mp depends on %s; want it linked only by programs that import mp/mpnet", pkg)
		}
	}
}
