package mp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/forklore/forklore/internal/mptrace"
	"github.com/forklore/forklore/mp/internal/shm"
	"golang.org/x/sys/unix"
)

// A Pipe's messages travel through two rings in shared memory, one per
// direction: a message is copied in and out of memory that both processes
// map, with no system call unless one side has to sleep. Rings keep
// message boundaries with any number of senders and receivers, and carry
// messages of any size.
//
// Beside the rings, each end holds one end of a unix socketpair that is
// never written: the kernel closes it when the last copy of that end is
// closed or its last holder ends, and the other side then reads EOF. A
// blocked Recv checks for that every eofCheck, which is how a receiver
// learns that nobody will ever send again (Python's EOFError).
const (
	pipeRingCap = 256 << 10
	eofCheck    = 20 * time.Millisecond
)

var errConnClosed = &misuse{"mp: connection is closed", ErrClosed}

// ErrBrokenPipe is returned by Send when the other end is closed in every
// process and the message cannot be delivered; the text is Python's.
var ErrBrokenPipe = errors.New("mp: broken pipe: the other end is closed")

// Conn is one end of a Pipe, like Python's multiprocessing.connection.Connection.
// Send on one end makes the value available to Recv on the other.
//
// Pass a Conn to a child as an argument of NewProcess; both processes then
// hold the end. Recv returns io.EOF only once every copy of the other end
// is closed, in every process: a parent that passes one end to a child and
// keeps its own copy open never sees EOF on the other end. Close the copies
// you do not use.
//
// A process that dies in the middle of a Send or a Recv (killed while it
// waits in one, say) does not break the pipe for the others: the next Send
// or Recv on that side takes over within a fraction of a second and prints
// one line naming the dead process. Every message wholly sent is received
// exactly once; a message larger than the pipe's buffer that was half sent,
// or half received, when its process died is dropped.
//
// Its zero value is not usable: make Conns with Pipe. Do not copy a Conn;
// pass the pointer. Its methods are safe from several goroutines.
type Conn struct {
	pipe    *pipeShared
	in, out *shm.Ring
	side    int // which end: 0 or 1
	id      string
	life    *os.File // this end of the lifeline socketpair
	rc      syscall.RawConn
	closed  atomic.Bool

	rmu  sync.Mutex // guards rbuf
	rbuf []byte
}

// pipeShared is the region both ends map, with a count of the open ends in
// this process: its descriptor is closed with the last one. The mapping
// itself stays until no end in this process is reachable any more, so that
// a Close racing with a Recv in another goroutine cannot pull memory from
// under it.
type pipeShared struct {
	region *shm.Region
	refs   atomic.Int32
	id     string // the pipe's name in diagnostics, its ends' ids without a or b
}

func newPipeShared(r *shm.Region, id string) *pipeShared {
	mapped(len(r.Bytes()))
	ps := &pipeShared{region: r, id: id}
	releaseWith(ps, r)
	return ps
}

var connCount atomic.Int64

// Pipe returns the two ends of a duplex connection.
func Pipe() (*Conn, *Conn) {
	fds, err := seqpacketPair()
	if err != nil {
		panic(fmt.Sprintf("mp: cannot create a Pipe: %v", err))
	}
	r, err := shm.NewRegion(2 * shm.RingSize(pipeRingCap))
	if err != nil {
		panic(fmt.Sprintf("mp: cannot create a Pipe: %v", err))
	}
	must(shm.InitRing(r, 0, pipeRingCap))
	must(shm.InitRing(r, shm.RingSize(pipeRingCap), pipeRingCap))
	n := connCount.Add(1)
	id := fmt.Sprintf("conn%d.%d", selfPid, n)
	ps := newPipeShared(r, id)
	a, b := &Conn{}, &Conn{}
	a.init(ps, 0, fds[0], id+"a")
	b.init(ps, 1, fds[1], id+"b")
	return a, b
}

func (c *Conn) init(ps *pipeShared, side, fd int, id string) {
	ps.refs.Add(1)
	_ = syscall.SetNonblock(fd, true)
	f := os.NewFile(uintptr(fd), "mp-conn")
	rc, err := f.SyscallConn()
	if err != nil {
		panic("mp: " + err.Error())
	}
	rings := [2]*shm.Ring{
		must(shm.OpenRing(ps.region, 0)),
		must(shm.OpenRing(ps.region, shm.RingSize(pipeRingCap))),
	}
	for _, r := range rings {
		r.OnRecover = ps.recovered
	}
	// End 0 sends on ring 0 and receives on ring 1; end 1 the reverse.
	c.pipe, c.out, c.in, c.side, c.id, c.life, c.rc = ps, rings[side], rings[1-side], side, id, f, rc
	c.out.OnPut = messageHook(mptrace.Send, "conn="+id)
	c.in.OnGet = messageHook(mptrace.Recv, "conn="+id)
}

// recovered reports what a ring of the pipe found when it took a side over
// from a dead process.
func (ps *pipeShared) recovered(rc shm.Recovery) {
	who := describePid(rc.Pid, processName(rc.Pid))
	switch {
	case rc.Put && rc.Lost:
		diagnose("%s died in the middle of sending a message through Pipe %s; the part already sent is dropped, so that message is not delivered (%s took over)", who, ps.id, me())
	case rc.Put:
		diagnose("%s died while sending through Pipe %s; %s took over, and no message was lost", who, ps.id, me())
	case rc.Lost:
		diagnose("%s died in the middle of receiving a message from Pipe %s; the rest of it is dropped, so that message is lost (%s took over)", who, ps.id, me())
	default:
		diagnose("%s died while receiving from Pipe %s; %s took over, and no message was lost", who, ps.id, me())
	}
}

// peerGone reports whether every copy of the other end is closed.
func (c *Conn) peerGone() bool {
	gone := false
	_ = c.rc.Read(func(fd uintptr) bool {
		var b [1]byte
		n, _, err := unix.Recvfrom(int(fd), b[:], unix.MSG_PEEK|unix.MSG_DONTWAIT)
		gone = n == 0 && err == nil
		return true
	})
	return gone
}

// Send sends v to the other end. Values are encoded as for process
// arguments; v arrives as an equal value of the same type. Handles (Lock,
// Queue, Conn, files) cannot be sent: pass them as arguments of NewProcess.
//
// Send waits while the pipe's buffer (256 KiB) is full, that is while the
// other end does not receive; it returns ErrBrokenPipe if the other end is
// closed everywhere meanwhile.
func (c *Conn) Send(v any) error {
	if c.closed.Load() {
		return errConnClosed
	}
	if v != nil {
		ensureRegistered(reflect.TypeOf(v))
	}
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	e := encoder{buf: (*bp)[:0], refusal: "Conn"}
	if err := e.encodeValue(reflect.ValueOf(&v).Elem()); err != nil {
		return err
	}
	*bp = e.buf
	return c.send(e.buf, nil)
}

// send puts the encoded message head followed by body in the outgoing ring.
func (c *Conn) send(head, body []byte) error {
	err := c.sendMsg(head, body)
	runtime.KeepAlive(c)
	return err
}

// sendMsg sends the message head followed by body; the send event is
// written by the ring's hook.
func (c *Conn) sendMsg(head, body []byte) error {
	pause("send")
	if len(head)+len(body)+8 > pipeRingCap {
		return c.sendLarge(append(head[:len(head):len(head)], body...))
	}
	// Try without a deadline first: time.Now is a noticeable part of a
	// small message's cost.
	for deadline := past; ; deadline = time.Now().Add(eofCheck) {
		err := c.out.PutPair(head, body, deadline)
		if err == nil {
			break
		}
		if deadline == past {
			if traceFile != nil {
				traceBlock("Send", "conn="+c.id, noTimeout)
			}
			continue
		}
		if c.closed.Load() {
			return errConnClosed
		}
		if c.peerGone() {
			return ErrBrokenPipe
		}
	}
	return nil
}

// bytesName is how Send names a []byte (typeName of it, which a test
// checks); SendBytes writes the same header, so that Recv and RecvBytes
// accept what either sent.
const bytesName = "[]uint8"

// SendBytes sends b as one message, like Python's send_bytes: the same as
// Send(b), without the cost of encoding a general value.
func (c *Conn) SendBytes(b []byte) error {
	if c.closed.Load() {
		return errConnClosed
	}
	var buf [2*binary.MaxVarintLen64 + len(bytesName)]byte
	head := appendUvarint(buf[:0], uint64(len(bytesName))+1)
	head = append(head, bytesName...)
	head = appendUvarint(head, uint64(len(b))+1)
	return c.send(head, b)
}

// RecvBytes receives the next message, which must be a []byte sent with
// SendBytes or Send, like Python's recv_bytes. It returns io.EOF as Recv
// does.
func (c *Conn) RecvBytes() ([]byte, error) {
	var out []byte
	err := c.recvInPlace(func(msg []byte) error {
		b, err := bytesPayload(msg)
		if err == nil {
			out = make([]byte, len(b)) // with the copy, one allocation that is not cleared first
			copy(out, b)
		}
		return err
	})
	return out, err
}

// RecvBytesInto receives the next []byte message into buf and returns its
// length, like Python's recv_bytes_into. A message longer than buf is an
// error, and is lost.
func (c *Conn) RecvBytesInto(buf []byte) (int, error) {
	n := 0
	err := c.recvInPlace(func(msg []byte) error {
		b, err := bytesPayload(msg)
		if err != nil {
			return err
		}
		if len(b) > len(buf) {
			return fmt.Errorf("mp: RecvBytesInto: the message has %d bytes, more than the buffer's %d", len(b), len(buf))
		}
		n = copy(buf, b)
		return nil
	})
	return n, err
}

// bytesPayload returns the bytes of a message holding a []byte.
func bytesPayload(msg []byte) ([]byte, error) {
	d := decoder{buf: msg}
	n, err := d.uvarint()
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, fmt.Errorf("mp: RecvBytes received a nil, not a []byte: use Recv for values sent with Send")
	}
	name, err := d.take(n - 1)
	if err != nil {
		return nil, err
	}
	if string(name) != bytesName {
		return nil, fmt.Errorf("mp: RecvBytes received a %s, not a []byte: use Recv for values sent with Send", name)
	}
	if n, err = d.uvarint(); err != nil || n == 0 {
		return nil, err
	}
	return d.take(n - 1)
}

// sendLarge sends a message larger than the ring. The ring passes it in
// chunks, and a Put whose deadline passes withdraws the whole message, so a
// deadline short enough to check for EOF could make a slow receiver discard
// it again and again. The Put waits without a deadline instead, in a
// goroutine, while this one checks for EOF. If the other end is gone, that
// goroutine stays blocked on the dead pipe.
func (c *Conn) sendLarge(msg []byte) error {
	defer runtime.KeepAlive(c)
	buf := append([]byte(nil), msg...) // msg goes back to its pool when Send returns
	done := make(chan error, 1)
	go func() { done <- c.out.Put(buf, time.Time{}) }()
	tick := time.NewTicker(eofCheck)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			return err
		case <-tick.C:
			if c.closed.Load() {
				return errConnClosed
			}
			if c.peerGone() {
				return ErrBrokenPipe
			}
		}
	}
}

// Recv receives the next value into the variable v points to, which must
// have the type that was sent (or be an interface that holds it, such as
// *any). It waits until a value comes, and returns io.EOF once every copy of
// the other end is closed and nothing is left to read.
func (c *Conn) Recv(v any) error {
	pv := reflect.ValueOf(v)
	if pv.Kind() != reflect.Pointer || pv.IsNil() {
		return fmt.Errorf("mp: Recv needs a non-nil pointer to store the value in, such as &x, not %T", v)
	}
	return c.recv(func(msg []byte) error { return decodeSent(msg, pv.Elem()) })
}

// recv takes the next message from the incoming ring and hands it to use,
// which must not keep it, once the ring is free for other receivers.
func (c *Conn) recv(use func(msg []byte) error) error {
	c.rmu.Lock()
	err := c.recvMsg(func(deadline time.Time) (bool, error) {
		msg, err := c.in.Get(c.rbuf[:0], deadline)
		if err != nil {
			return false, nil
		}
		c.rbuf = msg
		return true, use(msg)
	})
	c.rmu.Unlock()
	runtime.KeepAlive(c)
	return err
}

// recvInPlace is recv for a use that is quick and calls no user code: it
// gets the message where it lies in the ring, with the ring's receivers'
// lock held (see shm.Ring.GetFunc), and saves copying it out first.
func (c *Conn) recvInPlace(use func(msg []byte) error) error {
	err := c.recvMsg(func(deadline time.Time) (bool, error) {
		var uerr error
		err := c.in.GetFunc(deadline, func(msg []byte) { uerr = use(msg) })
		return err == nil, uerr
	})
	runtime.KeepAlive(c)
	return err
}

// recvMsg calls take, which takes a message from the incoming ring by the
// deadline and uses it, until it takes one or the other end is gone; take
// reports whether it took a message, and use's error.
func (c *Conn) recvMsg(take func(deadline time.Time) (taken bool, err error)) error {
	if c.closed.Load() {
		return errConnClosed
	}
	pause("recv")
	for deadline := past; ; deadline = time.Now().Add(eofCheck) {
		taken, uerr := take(deadline)
		if !taken && deadline == past {
			if traceFile != nil {
				traceBlock("Recv", "conn="+c.id, noTimeout)
			}
			continue
		}
		if !taken {
			if c.closed.Load() {
				return errConnClosed
			}
			if !c.peerGone() {
				continue
			}
			// The other end is gone; what it sent before is still here.
			if taken, uerr = take(past); !taken {
				if traceFile != nil {
					trace(mptrace.Recv, "conn="+c.id, "eof=true")
				}
				return io.EOF
			}
		}
		return uerr
	}
}

// decodeSent decodes a value written by Send (an interface value: type name,
// then the value) into dst.
func decodeSent(msg []byte, dst reflect.Value) error {
	d := decoder{buf: msg}
	if dst.Kind() == reflect.Interface {
		return d.decodeValue(dst)
	}
	n, err := d.uvarint()
	if err != nil {
		return err
	}
	if n == 0 {
		dst.SetZero()
		return nil
	}
	name, err := d.take(n - 1)
	if err != nil {
		return err
	}
	if want := cachedTypeName(dst.Type()); string(name) != want {
		return fmt.Errorf("mp: received a %s, but Recv was given a pointer to %s: receive into a variable of the type that was sent, or into an any", name, want)
	}
	return d.decodeValue(dst)
}

// Poll reports whether a value (or EOF) is ready to be received, waiting at
// most d for one; d < 0 waits as long as it takes, and d == 0 does not
// wait.
func (c *Conn) Poll(d time.Duration) bool {
	defer runtime.KeepAlive(c)
	var deadline time.Time
	if d > 0 {
		deadline = time.Now().Add(d)
	}
	pause := 20 * time.Microsecond
	for {
		if c.closed.Load() {
			return false
		}
		if c.in.Len() > 0 || c.peerGone() {
			return true
		}
		if d == 0 || d > 0 && !time.Now().Before(deadline) {
			return false
		}
		time.Sleep(pause)
		pause = min(2*pause, time.Millisecond)
	}
}

// Close closes this process's copy of the end. Send and Recv on it then
// return errors matching ErrClosed. The other end sees EOF once every
// process has closed its copy (or ended).
func (c *Conn) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	err := c.life.Close()
	if c.pipe.refs.Add(-1) == 0 {
		c.pipe.region.File().Close()
	}
	return err
}

func (c *Conn) mpKind() string { return "Conn" }

func (c *Conn) encodeHandle(e *encoder) error {
	if c.closed.Load() {
		return errConnClosed
	}
	if err := e.addFileOf(c.life, "Conn"); err != nil {
		return err
	}
	if err := e.addFileOf(c.pipe.region.File(), "Conn"); err != nil {
		return err
	}
	e.buf = appendUvarint(e.buf, uint64(c.side))
	e.appendString(c.id)
	return nil
}

func (c *Conn) decodeHandle(d *decoder) error {
	life, err := d.file()
	if err != nil {
		return err
	}
	rfd, err := d.file()
	if err != nil {
		return err
	}
	side, err := d.uvarint()
	if err != nil {
		return err
	}
	id, err := d.string()
	if err != nil {
		return err
	}
	r, err := shm.OpenRegion(os.NewFile(uintptr(rfd), "mp-pipe"))
	if err != nil {
		return fmt.Errorf("mp: cannot map an inherited Conn: %w", err)
	}
	c.init(newPipeShared(r, id[:len(id)-1]), int(side), life, id)
	return nil
}
