package mp

import (
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// A Pipe is a pair of connected unix sockets of type SOCK_SEQPACKET: the
// kernel keeps every message whole, so several processes may send and
// receive on one end at once, and a peer whose every copy is closed reads as
// EOF. A message up to inlineMax bytes travels in one packet; a larger one
// is written to a memfd whose descriptor travels instead, so that messages
// of any size stay atomic.
const inlineMax = 64 << 10

// Packet kinds: the first byte of every packet.
const (
	packetInline = 0
	packetMemfd  = 1
)

var errConnClosed = &misuse{"mp: connection is closed", ErrClosed}

// Conn is one end of a Pipe, like Python's multiprocessing.connection.Connection.
// Send on one end makes the value available to Recv on the other.
//
// Pass a Conn to a child as an argument of NewProcess; both processes then
// hold the end. Recv returns io.EOF only once every copy of the other end
// is closed, in every process: a parent that passes one end to a child and
// keeps its own copy open never sees EOF on the other end. Close the copies
// you do not use.
//
// Its zero value is not usable: make Conns with Pipe. Its methods are safe
// from several goroutines.
type Conn struct {
	f      *os.File
	rc     syscall.RawConn
	id     string
	closed atomic.Bool

	rmu  sync.Mutex // guards rbuf and oob
	rbuf []byte
	oob  []byte
}

var connCount atomic.Int64

// Pipe returns the two ends of a duplex connection.
func Pipe() (*Conn, *Conn) {
	fds, err := seqpacketPair()
	if err != nil {
		panic(fmt.Sprintf("mp: cannot create a Pipe: %v", err))
	}
	n := connCount.Add(1)
	return newConn(fds[0], fmt.Sprintf("conn%d.%da", selfPid, n)), newConn(fds[1], fmt.Sprintf("conn%d.%db", selfPid, n))
}

func newConn(fd int, id string) *Conn {
	_ = syscall.SetNonblock(fd, true)
	f := os.NewFile(uintptr(fd), "mp-conn")
	rc, err := f.SyscallConn()
	if err != nil {
		panic("mp: " + err.Error())
	}
	return &Conn{f: f, rc: rc, id: id}
}

// Send sends v to the other end. Values are encoded as for process
// arguments; v arrives as an equal value of the same type. Handles (Lock,
// Queue, Conn, files) cannot be sent: pass them as arguments of NewProcess.
//
// Send waits while the socket's buffer is full, that is while the other
// end does not receive.
func (c *Conn) Send(v any) error {
	if c.closed.Load() {
		return errConnClosed
	}
	if v != nil {
		registerTypeDeep(reflect.TypeOf(v), map[reflect.Type]bool{})
	}
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	e := encoder{buf: append((*bp)[:0], packetInline), refusal: "Conn"}
	if err := e.encodeValue(reflect.ValueOf(&v).Elem()); err != nil {
		return err
	}
	*bp = e.buf
	perturb()
	var err error
	if len(e.buf) <= inlineMax {
		err = c.sendPacket(e.buf, nil)
	} else {
		err = c.sendMemfd(e.buf[1:])
	}
	if err != nil {
		return fmt.Errorf("mp: send: %w", err)
	}
	if traceFile != nil {
		trace("send", "conn="+c.id)
	}
	return nil
}

func (c *Conn) sendPacket(p, oob []byte) error {
	var err error
	werr := c.rc.Write(func(fd uintptr) bool {
		err = unix.Sendmsg(int(fd), p, oob, nil, unix.MSG_NOSIGNAL)
		return err != unix.EAGAIN
	})
	if werr != nil {
		return werr
	}
	return err
}

// sendMemfd sends a large message as a memfd holding it.
func (c *Conn) sendMemfd(msg []byte) error {
	fd, err := anonFD()
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	for b := msg; len(b) > 0; {
		n, err := unix.Write(fd, b)
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return c.sendPacket([]byte{packetMemfd}, unix.UnixRights(fd))
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
	if c.closed.Load() {
		return errConnClosed
	}
	perturb()
	c.rmu.Lock()
	defer c.rmu.Unlock()
	msg, err := c.recvPacket()
	if err != nil {
		return err
	}
	if err := decodeSent(msg, pv.Elem()); err != nil {
		return err
	}
	if traceFile != nil {
		trace("recv", "conn="+c.id)
	}
	return nil
}

// recvPacket returns the next message's bytes; c.rmu is held.
func (c *Conn) recvPacket() ([]byte, error) {
	if c.rbuf == nil {
		c.rbuf = make([]byte, inlineMax+1)
		c.oob = make([]byte, unix.CmsgSpace(4))
	}
	var n, oobn int
	var err error
	rerr := c.rc.Read(func(fd uintptr) bool {
		n, oobn, _, _, err = unix.Recvmsg(int(fd), c.rbuf, c.oob, msgCmsgCloexec)
		return err != unix.EAGAIN
	})
	if rerr != nil {
		if errors.Is(rerr, os.ErrClosed) {
			return nil, errConnClosed
		}
		return nil, fmt.Errorf("mp: recv: %w", rerr)
	}
	if err != nil {
		return nil, fmt.Errorf("mp: recv: %w", err)
	}
	if n == 0 {
		return nil, io.EOF
	}
	switch c.rbuf[0] {
	case packetInline:
		return c.rbuf[1:n], nil
	case packetMemfd:
		return readMemfd(c.oob[:oobn])
	}
	return nil, fmt.Errorf("mp: recv: unknown packet kind %d (is the other end an mp.Conn?)", c.rbuf[0])
}

func readMemfd(oob []byte) ([]byte, error) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil || len(msgs) != 1 {
		return nil, fmt.Errorf("mp: recv: a large message lost its descriptor")
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return nil, fmt.Errorf("mp: recv: a large message lost its descriptor")
	}
	f := os.NewFile(uintptr(fds[0]), "mp-message")
	defer f.Close()
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return io.ReadAll(f)
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
	if want := typeName(dst.Type()); string(name) != want {
		return fmt.Errorf("mp: received a %s, but Recv was given a pointer to %s: receive into a variable of the type that was sent, or into an any", name, want)
	}
	return d.decodeValue(dst)
}

// Poll reports whether a value (or EOF) is ready to be received, waiting at
// most d for one; d < 0 waits as long as it takes, and d == 0 does not
// wait. Poll sets the read deadline of the underlying socket, so do not
// call it while another goroutine of this process is in Recv on this Conn.
func (c *Conn) Poll(d time.Duration) bool {
	if c.closed.Load() {
		return false
	}
	ready := false
	peek := func(fd uintptr) bool {
		var b [1]byte
		_, _, err := unix.Recvfrom(int(fd), b[:], unix.MSG_PEEK|unix.MSG_DONTWAIT)
		if err == unix.EAGAIN {
			return d == 0 // not ready: wait, unless told not to
		}
		ready = true
		return true
	}
	if d > 0 {
		_ = c.f.SetReadDeadline(time.Now().Add(d))
		defer c.f.SetReadDeadline(time.Time{})
	}
	_ = c.rc.Read(peek)
	return ready
}

// Close closes this process's copy of the end. Send and Recv on it then
// return errors matching ErrClosed. The other end sees EOF once every
// process has closed its copy (or ended).
func (c *Conn) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	return c.f.Close()
}

func (c *Conn) mpKind() string { return "Conn" }

func (c *Conn) encodeHandle(e *encoder) error {
	if c.closed.Load() {
		return errConnClosed
	}
	if err := e.addFileOf(c.f, "Conn"); err != nil {
		return err
	}
	e.appendString(c.id)
	return nil
}

func (c *Conn) decodeHandle(d *decoder) error {
	fd, err := d.file()
	if err != nil {
		return err
	}
	id, err := d.string()
	if err != nil {
		return err
	}
	*c = *newConn(fd, id)
	return nil
}
