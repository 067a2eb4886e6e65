package shm

import (
	"bytes"
	"testing"
	"time"
)

func TestDbg(t *testing.T) {
	r := newRegion(t, 4096)
	ring := must(InitRing(r, offObj, 256))
	go func() {
		for _, m := range bigMessages(ring.Cap()) {
			ring.Put(m, time.Time{})
		}
	}()
	for i, want := range bigMessages(ring.Cap()) {
		buf, err := ring.Get(nil, time.Time{})
		if err != nil || !bytes.Equal(buf, want) {
			t.Fatalf("message %d: Get = %d bytes, %v; want %d bytes as put", i, len(buf), err, len(want))
		}
	}
}
