package mp_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/forklore/forklore/mp"
)

// onlyInB is a type that only takesOnlyInB's parameter mentions: mp.Main
// registers it through that target.
type onlyInB struct{ N int }

func takesOnlyInB(v onlyInB) {}

// getAny reports what it gets from q, in a child that runs another target
// than takesOnlyInB.
func getAny(q *mp.Queue[any], w *os.File) {
	v, err := q.Get()
	fmt.Fprintf(w, "%T %v %v\n", v, v, err)
	w.Close()
}

// TestChildKnowsTypesOfOtherTargets checks that a child decodes a value
// inside an interface whose type is registered only through a target it
// does not run, as Main registers it in every process.
func TestChildKnowsTypesOfOtherTargets(t *testing.T) {
	q := mp.NewQueue[any](0)
	defer q.Close()
	r, w := pipe(t)
	p := mp.NewProcess(getAny, q, w)
	start(t, p)
	if err := q.Put(onlyInB{N: 7}); err != nil {
		t.Fatalf("Put: %v", err)
	}
	got := readAll(t, r, w)
	joinWithin(t, p)
	if want := "mp_test.onlyInB {7} <nil>\n"; got != want {
		t.Errorf("child got %q; want %q", got, want)
	}
}
