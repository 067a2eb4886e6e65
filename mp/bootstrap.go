package mp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
)

// The spawn protocol: what a parent tells a new child, and how the child
// reads it. Both halves live in this file, so that they cannot drift apart.
//
// A child is this program executed again (spawn_unix.go), with the
// environment variable childEnv set and these descriptors:
//
//	fd 0      /dev/null (Python's children read nothing either)
//	fd 1, 2   the parent's os.Stdout and os.Stderr at the time of Start
//	fd 3      one end of a socketpair: the bootstrap, then the parent's lifeline
//	fd 4...   the descriptors of handles passed as arguments, in the order
//	          the encoder collected them
//
// The parent writes one bootstrap message on its end of the socketpair and
// never writes again; it keeps its end open, so the child reads EOF exactly
// when the parent has ended, however it ended.
//
// The message is
//
//	4 bytes   bootstrapMagic
//	8 bytes   n, little-endian: the length of what follows
//	n bytes   the head, then the target's encoded arguments (codec.go)
//
// and the head is, in this order (a string or a byte slice is a uvarint
// length and then its bytes; a number is a uvarint):
//
//	Key         the target's registry key (target.go)
//	Name        the process's name
//	Identity    a uvarint count, then each level as a uvarint
//	Daemon      one byte, 0 or 1
//	ParentPid   a uvarint
//	ParentName  a string
//	Authkey     a byte slice
//	NFiles      a uvarint: how many descriptors follow fd 3
//
// The child trusts nothing in it: every length is checked against what is
// left of the message and against the limits below before anything is
// allocated, and the message itself is read as it arrives, so a forged
// header costs at most the bytes that were really sent. A bad message is a
// one-line error and exit code 1 (runChild), never a panic.

// childEnv marks a process started by mp. Its value is the descriptor of the
// bootstrap socket.
const childEnv = "FORKLORE_MP_CHILD"

// bootstrapFD is where a child finds its bootstrap socket; the descriptors
// it inherits as arguments follow it.
const bootstrapFD = 3

// bootstrapMagic opens every bootstrap message; its last byte is the
// protocol's version.
const bootstrapMagic = "mp\x00\x01"

// Limits of a bootstrap message.
const (
	maxBootstrap     = 1 << 30 // bytes after the header: the arguments of one process
	maxInherited     = 1 << 16 // descriptors passed to one process
	maxIdentityDepth = 1 << 12 // levels of Process-1:2:3...
	maxNameBytes     = 1 << 20 // a process's, its parent's or a target's name
	maxAuthkeyBytes  = 1 << 10
)

// bootstrap is what a parent tells a new child, ahead of its arguments.
type bootstrap struct {
	Key        string
	Name       string
	Identity   []int
	Daemon     bool
	ParentPid  int
	ParentName string
	Authkey    []byte
	NFiles     int
}

// errBootstrapTooLarge is returned by encode when the arguments exceed
// maxBootstrap.
var errBootstrapTooLarge = errors.New("mp: the arguments take more than 1 GiB, the most one process can be sent")

// encode returns the bootstrap message of b followed by args.
func (b *bootstrap) encode(args []byte) ([]byte, error) {
	msg := make([]byte, 0, len(bootstrapMagic)+8+64+len(b.Key)+len(b.Name)+len(b.ParentName)+len(b.Authkey)+len(args))
	msg = append(msg, bootstrapMagic...)
	msg = binary.LittleEndian.AppendUint64(msg, 0) // the length, set below
	msg = appendBytes(msg, b.Key)
	msg = appendBytes(msg, b.Name)
	msg = binary.AppendUvarint(msg, uint64(len(b.Identity)))
	for _, n := range b.Identity {
		msg = binary.AppendUvarint(msg, uint64(n))
	}
	if b.Daemon {
		msg = append(msg, 1)
	} else {
		msg = append(msg, 0)
	}
	msg = binary.AppendUvarint(msg, uint64(b.ParentPid))
	msg = appendBytes(msg, b.ParentName)
	msg = appendBytes(msg, b.Authkey)
	msg = binary.AppendUvarint(msg, uint64(b.NFiles))
	msg = append(msg, args...)
	n := len(msg) - len(bootstrapMagic) - 8
	if n > maxBootstrap {
		return nil, errBootstrapTooLarge
	}
	binary.LittleEndian.PutUint64(msg[len(bootstrapMagic):], uint64(n))
	return msg, nil
}

func appendBytes[S string | []byte](b []byte, s S) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// errNotBootstrap is wrapped by readBootstrap's error when the message does
// not start like one: the process was not started by mp.
var errNotBootstrap = errors.New("this is not a bootstrap message from mp (was this process started by mp.Process.Start?)")

// readBootstrap reads one bootstrap message from r and returns it with the
// encoded arguments that follow its head. A message of a few KiB, the
// usual, takes one read.
func readBootstrap(r io.Reader) (*bootstrap, []byte, error) {
	const hdrLen = len(bootstrapMagic) + 8
	buf, err := readAtLeast(r, make([]byte, 0, 4<<10), hdrLen, hdrLen)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot read the bootstrap's header: %w", eofIsShort(err))
	}
	if string(buf[:len(bootstrapMagic)]) != bootstrapMagic {
		return nil, nil, errNotBootstrap
	}
	n := binary.LittleEndian.Uint64(buf[len(bootstrapMagic):hdrLen])
	if n > maxBootstrap {
		return nil, nil, fmt.Errorf("the bootstrap says %d bytes follow, more than the %d allowed", n, maxBootstrap)
	}
	total := hdrLen + int(n)
	buf, err = readAtLeast(r, buf, total, total)
	if err != nil {
		return nil, nil, fmt.Errorf("the bootstrap ended after %d of its %d bytes: %w", len(buf)-hdrLen, n, eofIsShort(err))
	}
	return parseBootstrap(buf[hdrLen:total])
}

// readAtLeast appends to buf what r gives until buf holds at least least
// bytes, reading no further than most. It grows buf as bytes arrive, so
// that a length that promises more than is sent costs no more memory than
// twice what was sent.
func readAtLeast(r io.Reader, buf []byte, least, most int) ([]byte, error) {
	for len(buf) < least {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, min(max(len(buf), 4<<10), most-len(buf)))
		}
		k, err := r.Read(buf[len(buf):min(cap(buf), most)])
		buf = buf[:len(buf)+k]
		if err != nil && len(buf) < least {
			return buf, err
		}
	}
	return buf, nil
}

func eofIsShort(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// parseBootstrap reads the head of a bootstrap message (without its
// header) and returns it with the arguments after it.
func parseBootstrap(msg []byte) (*bootstrap, []byte, error) {
	p := headParser{buf: msg}
	b := &bootstrap{
		Key:  p.string("the target's name", maxNameBytes),
		Name: p.string("the process's name", maxNameBytes),
	}
	if depth := p.count("the identity's depth", maxIdentityDepth, 1); depth > 0 {
		b.Identity = make([]int, depth)
		for i := range b.Identity {
			b.Identity[i] = p.int("an identity level")
		}
	}
	switch d := p.byte("the daemon flag"); d {
	case 0, 1:
		b.Daemon = d == 1
	default:
		p.fail(fmt.Errorf("the daemon flag is %d, not 0 or 1", d))
	}
	b.ParentPid = p.int("the parent's pid")
	b.ParentName = p.string("the parent's name", maxNameBytes)
	if key := p.bytes("the authkey", maxAuthkeyBytes); len(key) > 0 {
		b.Authkey = append([]byte(nil), key...)
	}
	b.NFiles = p.count("the number of inherited descriptors", maxInherited, 0)
	if p.err != nil {
		return nil, nil, fmt.Errorf("bad bootstrap: %w", p.err)
	}
	return b, p.buf, nil
}

// headParser reads the fields of a bootstrap's head. The first error stops
// it: later reads return zero values, and err says what was wrong.
type headParser struct {
	buf []byte
	err error
}

func (p *headParser) fail(err error) {
	if p.err == nil {
		p.err = err
	}
	p.buf = nil
}

func (p *headParser) uvarint(what string) uint64 {
	if p.err != nil {
		return 0
	}
	n, k := binary.Uvarint(p.buf)
	if k <= 0 {
		p.fail(fmt.Errorf("the message ends before %s", what))
		return 0
	}
	p.buf = p.buf[k:]
	return n
}

// int reads a number that must fit in an int32, as pids and counts do.
func (p *headParser) int(what string) int {
	n := p.uvarint(what)
	if n > 1<<31-1 {
		p.fail(fmt.Errorf("%s is %d, out of range", what, n))
		return 0
	}
	return int(n)
}

// count reads a number of things of at least minBytes each, at most limit.
func (p *headParser) count(what string, limit, minBytes int) int {
	n := p.uvarint(what)
	switch {
	case p.err != nil:
		return 0
	case n > uint64(limit):
		p.fail(fmt.Errorf("%s is %d, more than the %d allowed", what, n, limit))
		return 0
	case n*uint64(minBytes) > uint64(len(p.buf)):
		p.fail(fmt.Errorf("%s is %d, but only %d bytes are left", what, n, len(p.buf)))
		return 0
	}
	return int(n)
}

func (p *headParser) bytes(what string, limit int) []byte {
	n := p.uvarint(what)
	switch {
	case p.err != nil:
		return nil
	case n > uint64(limit):
		p.fail(fmt.Errorf("%s takes %d bytes, more than the %d allowed", what, n, limit))
		return nil
	case n > uint64(len(p.buf)):
		p.fail(fmt.Errorf("%s takes %d bytes, but only %d are left", what, n, len(p.buf)))
		return nil
	}
	b := p.buf[:n]
	p.buf = p.buf[n:]
	return b
}

func (p *headParser) string(what string, limit int) string {
	return string(p.bytes(what, limit))
}

func (p *headParser) byte(what string) byte {
	if p.err != nil {
		return 0
	}
	if len(p.buf) == 0 {
		p.fail(fmt.Errorf("the message ends before %s", what))
		return 0
	}
	b := p.buf[0]
	p.buf = p.buf[1:]
	return b
}
