package mp_test

import (
	"testing"

	"github.com/forklore/forklore/mp"
)

// BenchmarkStartJoin measures starting a child that does nothing and
// joining it: Python's "start+join of a no-op child". cmd/mpbench runs the
// same measurement side by side with Python's multiprocessing.
func BenchmarkStartJoin(b *testing.B) {
	for b.Loop() {
		p := mp.NewProcess(noop)
		if err := p.Start(); err != nil {
			b.Fatal(err)
		}
		p.Join()
	}
}

// BenchmarkStartJoin10 starts ten children together, then joins them.
func BenchmarkStartJoin10(b *testing.B) {
	for b.Loop() {
		var ps [10]*mp.Process
		for i := range ps {
			ps[i] = mp.NewProcess(noop)
			if err := ps[i].Start(); err != nil {
				b.Fatal(err)
			}
		}
		for _, p := range ps {
			p.Join()
		}
	}
}
