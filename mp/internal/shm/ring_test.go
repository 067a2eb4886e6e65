package shm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"
)

// Layout of the cross-process ring tests: the ring at offObj, then a bitmap
// of the messages consumers have seen.
const (
	ringTestCap   = 1024
	offRingBitmap = 4096
)

func init() {
	// ringPut: wait at the gate, then put args[1] messages from producer
	// args[0], in batches of 1 to 8.
	childRoles["ringPut"] = func(r *Region, args []int) error {
		ring := must(OpenRing(r, offObj))
		id, n := args[0], args[1]
		if err := waitGate(r); err != nil {
			return err
		}
		var batch [][]byte
		for seq := 0; seq < n; {
			batch = batch[:0]
			for k := 0; k < 1+seq%8 && seq < n; k++ {
				batch = append(batch, testMessage(id, seq))
				seq++
			}
			if got, err := ring.PutBatch(batch, time.Time{}); err != nil || got != len(batch) {
				return fmt.Errorf("PutBatch(%d messages) = %d, %v", len(batch), got, err)
			}
		}
		return nil
	}
	// ringGet: wait at the gate, then get messages until an empty one,
	// checking each and marking it in the bitmap; args[0] messages per
	// producer.
	childRoles["ringGet"] = func(r *Region, args []int) error {
		ring := must(OpenRing(r, offObj))
		each := args[0]
		last := map[int]int{}
		if err := waitGate(r); err != nil {
			return err
		}
		var buf []byte
		for {
			var err error
			if buf, err = ring.Get(buf[:0], time.Time{}); err != nil {
				return err
			}
			if len(buf) == 0 {
				return nil
			}
			id, seq := int(binary.LittleEndian.Uint32(buf)), int(binary.LittleEndian.Uint32(buf[4:]))
			if want := testMessage(id, seq); !bytes.Equal(buf, want) {
				return fmt.Errorf("got message %x; want %x", buf, want)
			}
			if prev, ok := last[id]; ok && seq <= prev {
				return fmt.Errorf("producer %d: message %d after %d", id, seq, prev)
			}
			last[id] = seq
			bit := id*each + seq
			w := word32(r.Bytes(), offRingBitmap+4*(bit/32))
			if old := atomicOr(w, 1<<(bit%32)); old&(1<<(bit%32)) != 0 {
				return fmt.Errorf("producer %d message %d got twice", id, seq)
			}
		}
	}
	// ringBig: put the messages bigMessages lists.
	childRoles["ringBig"] = func(r *Region, args []int) error {
		ring := must(OpenRing(r, offObj))
		for _, m := range bigMessages(ring.Cap()) {
			if err := ring.Put(m, time.Time{}); err != nil {
				return err
			}
		}
		return nil
	}
}

// testMessage is message seq of producer id: 8 bytes of id and seq, then
// 0 to 20 bytes that depend on both, so that records wrap at varied places.
func testMessage(id, seq int) []byte {
	m := make([]byte, 8+(id+seq)%21)
	binary.LittleEndian.PutUint32(m, uint32(id))
	binary.LittleEndian.PutUint32(m[4:], uint32(seq))
	for i := 8; i < len(m); i++ {
		m[i] = byte(id*31 + seq + i)
	}
	return m
}

func atomicOr(w *uint32, bits uint32) (old uint32) {
	for {
		old = atomic.LoadUint32(w)
		if atomic.CompareAndSwapUint32(w, old, old|bits) {
			return old
		}
	}
}

// bigMessages returns messages around and beyond capacity.
func bigMessages(capacity int) [][]byte {
	var msgs [][]byte
	for i, n := range []int{0, 1, capacity - 5, capacity - 4, capacity - 3, capacity, 3*capacity + 5, 100_000, 7} {
		m := make([]byte, n)
		for j := range m {
			m[j] = byte(i + j*7)
		}
		msgs = append(msgs, m)
	}
	return msgs
}

func TestRingManyProducersManyConsumers(t *testing.T) {
	const producers, consumers, each = 4, 4, 62_500 // 250k messages
	r := newRegion(t, offRingBitmap+producers*each/8+64)
	ring := must(InitRing(r, offObj, ringTestCap))
	var prods, conss []*child
	for id := range producers {
		prods = append(prods, startChild(t, r, "ringPut", id, each))
	}
	for range consumers {
		conss = append(conss, startChild(t, r, "ringGet", each))
	}
	openGate(t, r, producers+consumers)
	for _, c := range prods {
		c.wait(t)
	}
	for range consumers {
		if err := ring.Put(nil, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range conss {
		c.wait(t)
	}
	missing := 0
	for bit := range producers * each {
		if atomic.LoadUint32(word32(r.Bytes(), offRingBitmap+4*(bit/32)))&(1<<(bit%32)) == 0 {
			if missing++; missing <= 5 {
				t.Errorf("producer %d message %d never got", bit/each, bit%each)
			}
		}
	}
	if missing > 0 || ring.Len() != 0 {
		t.Errorf("%d of %d messages lost, %d left in the ring; want 0, 0", missing, producers*each, ring.Len())
	}
}

func TestRingBigMessagesAcrossProcesses(t *testing.T) {
	r := newRegion(t, 4096)
	ring := must(InitRing(r, offObj, 256))
	c := startChild(t, r, "ringBig")
	var buf []byte
	for i, want := range bigMessages(ring.Cap()) {
		var err error
		buf, err = ring.Get(buf[:0], time.Time{})
		if err != nil || !bytes.Equal(buf, want) {
			t.Errorf("message %d: Get = %d bytes, %v; want %d bytes as put", i, len(buf), err, len(want))
		}
	}
	c.wait(t)
}

func TestRingFIFOAndDeadlines(t *testing.T) {
	r := newRegion(t, 4096)
	ring := must(InitRing(r, offObj, 64))
	past := time.Now().Add(-time.Second)
	if got, err := ring.Get([]byte("keep"), past); err != ErrTimeout || string(got) != "keep" {
		t.Errorf("Get(past) on an empty ring = %q, %v; want \"keep\", ErrTimeout", got, err)
	}
	start := time.Now()
	if _, err := ring.Get(nil, start.Add(20*time.Millisecond)); err != ErrTimeout {
		t.Errorf("Get(in 20ms) on an empty ring = %v; want ErrTimeout", err)
	}
	if waited := time.Since(start); waited < 20*time.Millisecond {
		t.Errorf("Get(in 20ms) gave up after %v; want at least 20ms", waited)
	}

	// Each message of 9 to 12 bytes takes 16: four fill the ring.
	var put []string
	for i := 0; ; i++ {
		m := fmt.Sprintf("message %d", i)
		if err := ring.Put([]byte(m), past); err != nil {
			if err != ErrTimeout {
				t.Fatalf("Put on a full ring = %v; want ErrTimeout", err)
			}
			break
		}
		put = append(put, m)
	}
	if len(put) != 4 || ring.Len() != 4 {
		t.Errorf("Put(past) until full: %d messages, Len() = %d; want 4, 4", len(put), ring.Len())
	}
	start = time.Now()
	if err := ring.Put([]byte("x"), start.Add(20*time.Millisecond)); err != ErrTimeout {
		t.Errorf("Put(in 20ms) on a full ring = %v; want ErrTimeout", err)
	}
	if waited := time.Since(start); waited < 20*time.Millisecond {
		t.Errorf("Put(in 20ms) gave up after %v; want at least 20ms", waited)
	}
	for _, want := range put {
		if got, err := ring.Get(nil, past); err != nil || string(got) != want {
			t.Errorf("Get = %q, %v; want %q, nil", got, err, want)
		}
	}

	// Many rounds of varied sizes wrap records around the end of the ring.
	for i := range 500 {
		m := bytes.Repeat([]byte{byte(i)}, i%61)
		if err := ring.Put(m, past); err != nil {
			t.Fatalf("round %d: Put(%d bytes) on an empty ring = %v", i, len(m), err)
		}
		if got, err := ring.Get(nil, past); err != nil || !bytes.Equal(got, m) {
			t.Fatalf("round %d: Get = %d bytes, %v; want %d bytes as put", i, len(got), err, len(m))
		}
	}
}

func TestRingPutBatch(t *testing.T) {
	r := newRegion(t, 4096)
	ring := must(InitRing(r, offObj, 64))
	var msgs [][]byte
	for i := range 6 {
		msgs = append(msgs, []byte(fmt.Sprintf("batch %03d", i))) // 16 bytes each in the ring
	}
	n, err := ring.PutBatch(msgs, time.Now())
	if n != 4 || err != ErrTimeout {
		t.Errorf("PutBatch(6 messages, now) into room for 4 = %d, %v; want 4, ErrTimeout", n, err)
	}
	for _, want := range msgs[:n] {
		if got, err := ring.Get(nil, time.Now()); err != nil || !bytes.Equal(got, want) {
			t.Errorf("Get = %q, %v; want %q, nil", got, err, want)
		}
	}
	if n, err := ring.PutBatch(msgs[:4], time.Time{}); n != 4 || err != nil {
		t.Errorf("PutBatch(4 messages) into an empty ring = %d, %v; want 4, nil", n, err)
	}
}

func TestRingBigMessageWithdrawn(t *testing.T) {
	r := newRegion(t, 4096)
	ring := must(InitRing(r, offObj, 64))
	big := bytes.Repeat([]byte("big"), 100)
	if err := ring.Put(big, time.Now().Add(10*time.Millisecond)); err != ErrTimeout {
		t.Fatalf("Put(300 bytes) into a 64-byte ring with no consumer = %v; want ErrTimeout", err)
	}
	if ring.Len() != 0 {
		t.Errorf("Len() after a withdrawn message = %d; want 0", ring.Len())
	}
	if got, err := ring.Get(nil, time.Now()); err != ErrTimeout || len(got) != 0 {
		t.Errorf("Get after a withdrawn message = %q, %v; want nothing, ErrTimeout", got, err)
	}
	if err := ring.Put([]byte("after"), time.Now()); err != nil {
		t.Fatal(err)
	}
	if got, err := ring.Get(nil, time.Now()); err != nil || string(got) != "after" {
		t.Errorf("Get = %q, %v; want \"after\", nil", got, err)
	}

	// With a consumer, the same message goes through whole.
	errc := make(chan error, 1)
	go func() { errc <- ring.Put(big, time.Time{}) }()
	got, err := ring.Get(nil, time.Time{})
	if err != nil || !bytes.Equal(got, big) {
		t.Errorf("Get of a 300-byte message = %d bytes, %v; want it whole", len(got), err)
	}
	if err := <-errc; err != nil {
		t.Errorf("Put of a 300-byte message with a consumer = %v", err)
	}
	if _, err := OpenRing(r, offObj); err != nil {
		t.Errorf("OpenRing = %v", err)
	}
	if !errors.Is(second(OpenRing(r, 8)), ErrLayout) {
		t.Errorf("OpenRing at the wrong offset did not fail with ErrLayout")
	}
}

// TestRingGetFuncInPlace puts messages of every size from two parts, at
// every position in the ring, and gets them with GetFunc: a message of up
// to half the ring must come where it lies in the ring, never wrapped
// around its end (a pad record skips to the start); a larger one may be a
// copy; each must be the two parts joined.
func TestRingGetFuncInPlace(t *testing.T) {
	r := newRegion(t, 4096)
	ring := must(InitRing(r, offObj, 256))
	inRing := func(p []byte) bool {
		if len(p) == 0 {
			return true
		}
		lo := uintptr(unsafe.Pointer(&ring.data[0]))
		at := uintptr(unsafe.Pointer(&p[0]))
		return at >= lo && at+uintptr(len(p)) <= lo+uintptr(len(ring.data))
	}
	var pending [][]byte
	drain := func(i int) {
		for _, want := range pending {
			err := ring.GetFunc(time.Now(), func(msg []byte) {
				if !bytes.Equal(msg, want) {
					t.Errorf("before message %d: GetFunc got %x; want %x", i, msg, want)
				}
				if small := recordSize(len(want)) <= uint64(ring.Cap()/2); small && !inRing(msg) {
					t.Errorf("before message %d: GetFunc got a copy of %d bytes; want the bytes where they lie in the ring", i, len(want))
				}
			})
			if err != nil {
				t.Fatalf("before message %d: GetFunc = %v", i, err)
			}
		}
		pending = pending[:0]
	}
	for i := range 2000 {
		n := (i * 37) % 200
		m := make([]byte, n)
		for j := range m {
			m[j] = byte(i + j)
		}
		if i%3 == 0 {
			drain(i) // leave some in at other times, so that messages start all over the ring
		}
		cut := i % (n + 1)
		err := ring.PutPair(m[:cut], m[cut:], time.Now())
		if err == ErrTimeout && len(pending) > 0 {
			drain(i)
			err = ring.PutPair(m[:cut], m[cut:], time.Now())
		}
		if err != nil {
			t.Fatalf("message %d: PutPair(%d+%d bytes) = %v", i, cut, n-cut, err)
		}
		pending = append(pending, m)
	}
	drain(2000)
	if ring.Len() != 0 || ring.Puts() != 2000 || ring.Gets() != 2000 {
		t.Errorf("Len, Puts, Gets = %d, %d, %d; want 0, 2000, 2000", ring.Len(), ring.Puts(), ring.Gets())
	}
}
