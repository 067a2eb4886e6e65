package mp

import "testing"

func TestIsClosureName(t *testing.T) {
	for name, want := range map[string]bool{
		"main.work":            false,
		"main.func1":           false, // a top-level func named func1
		"main.main.func1":      true,
		"main.main.func1.2":    true,
		"main.(*T).Run-fm":     true,
		"main.main.gowrap1":    true,
		"main.main.deferwrap2": true,
		"github.com/forklore/forklore/mp_test.TestX.func3": true,
		"main.(*T).Run": false,
		"main.f[...]":   false,
	} {
		if got := isClosureName(name); got != want {
			t.Errorf("isClosureName(%q) = %v; want %v", name, got, want)
		}
	}
}
