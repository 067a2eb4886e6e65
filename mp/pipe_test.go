package mp_test

// Conformance tests ported from the relevant cases of CPython's
// _TestConnection and _TestPoll: message boundaries, no merging, EOF,
// polling, large messages, and one end shared by two processes.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/forklore/forklore/mp"
)

// ---- targets ----

// echoConn answers each message with its reply, until EOF.
func echoConn(c *mp.Conn) {
	for {
		var s string
		if err := c.Recv(&s); err != nil {
			return
		}
		c.Send(fmt.Sprintf("%s from %d", s, os.Getpid()))
	}
}

// sendNumbers sends n numbers tagged with id, then closes its copy.
func sendNumbers(c *mp.Conn, id, n int) {
	for i := range n {
		if err := c.Send([2]int{id, i}); err != nil {
			panic(err)
		}
	}
	c.Close()
}

// recvBig receives one big message and sends back its length and sum.
func recvBig(c *mp.Conn) {
	var b []byte
	if err := c.Recv(&b); err != nil {
		c.Send(err.Error())
		return
	}
	var sum int
	for _, x := range b {
		sum += int(x)
	}
	c.Send(fmt.Sprint(len(b), sum))
}

// ---- tests ----

func TestPipeRoundTrips(t *testing.T) {
	a, b := mp.Pipe()
	defer a.Close()
	p := mp.NewProcess(echoConn, b)
	start(t, p)
	b.Close() // the child holds its own copy
	for i := range 3 {
		if err := a.Send(fmt.Sprint("ping ", i)); err != nil {
			t.Fatal(err)
		}
		var reply string
		if err := a.Recv(&reply); err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("ping %d from %d", i, p.Pid()); reply != want {
			t.Errorf("reply %q; want %q", reply, want)
		}
	}
	a.Close()
	joinWithin(t, p)
}

func TestPipeKeepsBoundariesAndTypes(t *testing.T) {
	a, b := mp.Pipe()
	defer a.Close()
	defer b.Close()
	values := []any{1, "two", 3.0, []byte{4}, map[string]int{"five": 5}, nil, int8(-7), "", [2]int{8, 9}}
	for _, v := range values {
		if err := a.Send(v); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range values {
		var got any
		if err := b.Recv(&got); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprintf("%T %v", got, got) != fmt.Sprintf("%T %v", want, want) {
			t.Errorf("Recv() = %T %v; want %T %v", got, got, want, want)
		}
	}
	if b.Poll(0) {
		t.Error("Poll(0) = true with nothing sent")
	}
	// Receiving into a concrete type checks the type that was sent.
	a.Send(42)
	var s string
	if err := b.Recv(&s); err == nil || !strings.Contains(err.Error(), "received a int") {
		t.Errorf("Recv(&string) of an int = %v; want a type mismatch error", err)
	}
	if err := b.Recv(s); err == nil || !strings.Contains(err.Error(), "pointer") {
		t.Errorf("Recv(non-pointer) = %v; want an error asking for a pointer", err)
	}
}

func TestPipeEOF(t *testing.T) {
	a, b := mp.Pipe()
	a.Send("last words")
	a.Close()
	var s string
	if err := b.Recv(&s); err != nil || s != "last words" {
		t.Fatalf("Recv() = %q, %v; want the message sent before Close", s, err)
	}
	if !b.Poll(0) {
		t.Error("Poll(0) = false at EOF; want true (recv would not block)")
	}
	if err := b.Recv(&s); err != io.EOF {
		t.Errorf("Recv() after the peer closed = %v; want io.EOF", err)
	}
	b.Close()
	if err := b.Recv(&s); !errors.Is(err, mp.ErrClosed) {
		t.Errorf("Recv() on a closed Conn = %v; want %v", err, mp.ErrClosed)
	}
	if err := b.Send(1); !errors.Is(err, mp.ErrClosed) {
		t.Errorf("Send() on a closed Conn = %v; want %v", err, mp.ErrClosed)
	}
}

func TestPipePoll(t *testing.T) {
	a, b := mp.Pipe()
	defer a.Close()
	defer b.Close()
	for _, d := range []time.Duration{0, 30 * time.Millisecond} {
		began := time.Now()
		if b.Poll(d) {
			t.Errorf("Poll(%v) = true with nothing sent", d)
		}
		if waited := time.Since(began); waited < d {
			t.Errorf("Poll(%v) returned after %v", d, waited)
		}
	}
	a.Send("x")
	if !b.Poll(0) || !b.Poll(time.Second) {
		t.Error("Poll = false with a message waiting")
	}
}

func TestPipeLargeMessage(t *testing.T) {
	a, b := mp.Pipe()
	defer a.Close()
	p := mp.NewProcess(recvBig, b)
	start(t, p)
	b.Close()
	big := bytes.Repeat([]byte{1, 2, 3}, 3<<20) // 9 MiB
	if err := a.Send(big); err != nil {
		t.Fatal(err)
	}
	var reply string
	if err := a.Recv(&reply); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprint(len(big), 6*(3<<20)); reply != want {
		t.Errorf("child got %q; want %q", reply, want)
	}
	joinWithin(t, p)
}

func TestPipeEndSharedByTwoChildren(t *testing.T) {
	// Two children send on the same end; every message arrives whole and
	// once, in each sender's order, and EOF comes only after both closed.
	const n = 5000
	a, b := mp.Pipe()
	p1 := mp.NewProcess(sendNumbers, b, 1, n)
	p2 := mp.NewProcess(sendNumbers, b, 2, n)
	start(t, p1)
	start(t, p2)
	b.Close()
	next := map[int]int{}
	count := 0
	for {
		var m [2]int
		err := a.Recv(&m)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if m[1] != next[m[0]] {
			t.Fatalf("sender %d: got message %d, want %d", m[0], m[1], next[m[0]])
		}
		next[m[0]]++
		count++
	}
	if count != 2*n {
		t.Errorf("received %d messages; want %d", count, 2*n)
	}
	joinWithin(t, p1)
	joinWithin(t, p2)
}

func TestPipeRefusesHandles(t *testing.T) {
	a, b := mp.Pipe()
	defer a.Close()
	defer b.Close()
	for _, h := range []any{mp.NewLock(), a, mp.NewQueue[int](0)} {
		err := a.Send(h)
		if !errors.Is(err, mp.ErrInheritOnly) || !strings.Contains(err.Error(), "objects should only be shared between processes through inheritance") {
			t.Errorf("Send(%T) = %v; want Python's inheritance error", h, err)
		}
	}
	if err := a.Send(func() {}); err == nil {
		t.Error("Send(func) = nil; want an error")
	}
	if b.Poll(0) {
		t.Error("a refused Send sent something")
	}

}

func TestPipeBytes(t *testing.T) {
	a, b := mp.Pipe()
	defer a.Close()
	defer b.Close()
	a.SendBytes([]byte("raw"))
	a.Send([]byte("encoded"))
	a.SendBytes(nil)
	a.Send("not bytes")
	a.SendBytes([]byte("too long for the buffer"))
	if got, err := b.RecvBytes(); string(got) != "raw" || err != nil {
		t.Errorf("RecvBytes() = %q, %v; want raw", got, err)
	}
	var got []byte
	if err := b.Recv(&got); string(got) != "encoded" || err != nil {
		t.Errorf("Recv(&[]byte) = %q, %v; want encoded", got, err)
	}
	if got, err := b.RecvBytes(); len(got) != 0 || err != nil {
		t.Errorf("RecvBytes() of an empty message = %q, %v", got, err)
	}
	if _, err := b.RecvBytes(); err == nil || !strings.Contains(err.Error(), "received a string") {
		t.Errorf("RecvBytes() of a string = %v; want an error naming the type", err)
	}
	buf := make([]byte, 4)
	if _, err := b.RecvBytesInto(buf); err == nil || !strings.Contains(err.Error(), "more than the buffer") {
		t.Errorf("RecvBytesInto(small buffer) = %v; want an error", err)
	}
	a.SendBytes([]byte("fits"))
	if n, err := b.RecvBytesInto(buf); n != 4 || string(buf) != "fits" || err != nil {
		t.Errorf("RecvBytesInto = %d %q, %v", n, buf, err)
	}
}
