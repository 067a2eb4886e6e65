package mp_test

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/forklore/forklore/mp"
)

// The fast paths of Queue[[]byte], Queue[string], Queue[int] and of
// SendBytes/RecvBytes carry payloads straight into and out of the ring;
// these tests send every size that takes a different way through it
// between two processes: empty and nil, small, around half the ring (up to
// which a message is used where it lies), up to the ring's capacity, and
// beyond it (in chunks).

// fastSizes are payload sizes around the rings' landmarks.
func fastSizes(ring int) []int {
	return []int{0, 1, 7, 1024, ring/2 - 64, ring/2 - 16, ring/2 + 8, ring - 64, ring + 100, 3*ring + 5}
}

// fastPayload is the content of message i of n bytes.
func fastPayload(i, n int) []byte {
	b := make([]byte, n)
	for j := range b {
		b[j] = byte(i*7 + j*13)
	}
	return b
}

// echoBytesQueue gets byte slices from in and puts them back on out, as
// they came (nil stays nil), until it gets a one-byte slice holding 0xff.
func echoBytesQueue(in, out *mp.Queue[[]byte]) {
	for {
		b, err := in.Get()
		if err != nil {
			panic(err)
		}
		if len(b) == 1 && b[0] == 0xff {
			return
		}
		if err := out.Put(b); err != nil {
			panic(err)
		}
	}
}

// putStringsAndInts puts a string and an int for each size.
func putStringsAndInts(qs *mp.Queue[string], qi *mp.Queue[int], sizes []int) {
	for i, n := range sizes {
		qs.Put(string(fastPayload(i, n)))
		qi.Put(-n * (i + 1))
	}
}

// sendBytesSizes sends one message per size with SendBytes, then one with
// Send, then closes its end.
func sendBytesSizes(c *mp.Conn, sizes []int) {
	for i, n := range sizes {
		if err := c.SendBytes(fastPayload(i, n)); err != nil {
			panic(err)
		}
	}
	c.Send([]byte("sent with Send"))
	c.Close()
}

func TestQueueBytesAcrossProcesses(t *testing.T) {
	in, out := mp.NewQueue[[]byte](0), mp.NewQueue[[]byte](0)
	p := mp.NewProcess(echoBytesQueue, in, out)
	start(t, p)
	const ring = 1 << 20 // a Queue's ring
	sent := [][]byte{nil, {}}
	for i, n := range fastSizes(ring) {
		sent = append(sent, fastPayload(i, n))
	}
	for _, b := range sent {
		if err := in.Put(b); err != nil {
			t.Fatal(err)
		}
		got, err := out.Get()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, b) || (got == nil) != (b == nil) {
			t.Errorf("a %d-byte slice (nil: %v) came back as %d bytes (nil: %v), equal: %v", len(b), b == nil, len(got), got == nil, bytes.Equal(got, b))
		}
	}
	in.Put([]byte{0xff})
	joinWithin(t, p)
}

func TestQueueStringsAndIntsAcrossProcesses(t *testing.T) {
	qs, qi := mp.NewQueue[string](0), mp.NewQueue[int](0)
	sizes := fastSizes(1 << 20)
	p := mp.NewProcess(putStringsAndInts, qs, qi, sizes)
	start(t, p)
	for i, n := range sizes {
		s, err := qs.Get()
		if err != nil || s != string(fastPayload(i, n)) {
			t.Errorf("string %d: got %d bytes, %v; want %d bytes as put", i, len(s), err, n)
		}
		if x, err := qi.Get(); err != nil || x != -n*(i+1) {
			t.Errorf("int %d: got %d, %v; want %d", i, x, err, -n*(i+1))
		}
	}
	joinWithin(t, p)
}

func TestPipeBytesAcrossProcesses(t *testing.T) {
	a, b := mp.Pipe()
	defer a.Close()
	sizes := fastSizes(256 << 10) // a Pipe's ring
	p := mp.NewProcess(sendBytesSizes, b, sizes)
	start(t, p)
	b.Close()
	for i, n := range sizes {
		var got []byte
		var err error
		if i%2 == 0 {
			got, err = a.RecvBytes()
		} else {
			err = a.Recv(&got) // what SendBytes sent, Recv takes too
		}
		if err != nil || !bytes.Equal(got, fastPayload(i, n)) {
			t.Errorf("message %d: got %d bytes, %v; want %d bytes as sent", i, len(got), err, n)
		}
	}
	if got, err := a.RecvBytes(); err != nil || string(got) != "sent with Send" {
		t.Errorf("RecvBytes of a []byte sent with Send = %q, %v", got, err)
	}
	if _, err := a.RecvBytes(); err != io.EOF {
		t.Errorf("RecvBytes after the sender closed = %v; want io.EOF", err)
	}
	joinWithin(t, p)
}

func TestRecvBytesOfAnotherType(t *testing.T) {
	a, b := mp.Pipe()
	defer a.Close()
	defer b.Close()
	a.Send(42)
	a.SendBytes([]byte("next"))
	if _, err := b.RecvBytes(); err == nil || !strings.Contains(err.Error(), "received a int") {
		t.Errorf("RecvBytes of an int = %v; want an error naming the type", err)
	}
	if got, err := b.RecvBytes(); err != nil || string(got) != "next" {
		t.Errorf("RecvBytes after a refused message = %q, %v; want the next message", got, err)
	}
}
