package shm

import (
	"testing"
	"time"
)

func TestDbg2(t *testing.T) {
	r := newRegion(t, 4096)
	ring := must(InitRing(r, offObj, 256))
	for _, n := range []int{0, 1, 251} {
		ring.Put(make([]byte, n), time.Time{})
		h, p := split(*ring.head)
		tl, g := split(*ring.tail)
		t.Logf("put %d: head %d puts %d tail %d gets %d", n, h, p, tl, g)
	}
	for range 3 {
		b, err := ring.Get(nil, time.Now())
		h, p := split(*ring.head)
		tl, g := split(*ring.tail)
		t.Logf("got %d %v: head %d puts %d tail %d gets %d", len(b), err, h, p, tl, g)
	}
}
