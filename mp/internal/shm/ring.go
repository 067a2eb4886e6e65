package shm

import (
	"encoding/binary"
	"fmt"
	"math"
	"sync/atomic"
	"time"
	"unsafe"
)

// Ring layout, in bytes from its offset. The producers' words and the
// consumers' words sit in 128-byte blocks of their own (a cache line and
// the neighbour the hardware prefetches with it), so that on the fast path
// each side writes only its own lines: a producer reads the consumers'
// line only when the room it last saw runs out, and a consumer reads the
// producers' line only when the messages it last saw are taken.
//
//	0    ringMagicValue once InitRing has run
//	4    capacity of the data area in bytes
//	8    most messages the ring may hold at once, or 0 for no limit
//	128  producers' Mutex
//	192  head: uint64, low half the byte position of the next write, high
//	     half the number of messages put (written together, read together)
//	200  1 while a consumer sleeps for data (set by the consumer, read by
//	     every publish: on the producers' line, so that reading it is free)
//	208  tail as the producers last saw it: a uint64 like tail, without
//	     posMid; no later than tail, so the room it shows is there
//	256  consumers' Mutex
//	320  tail: uint64, low half the byte position of the next read, high
//	     half the number of messages got
//	328  1 while a producer sleeps for room (on the consumers' line)
//	332  head's position as the consumers last saw it, without posMid; no
//	     later than head, so the records before it are there
//	384  data area, capacity bytes
//
// The data area holds records at 4-byte aligned positions: a 4-byte header,
// then the payload padded to 4 bytes. The header is the payload length,
// plus recMore if the next record continues the same message; or it is
// recAbort, which means "forget the message so far"; or recPad, which means
// "the next record starts at the beginning of the data area". A message of
// up to half the capacity is one record that never wraps around the end
// (a pad record skips what is left before the end), so a consumer can use
// it where it lies; a larger one's records wrap.
//
// Positions are multiples of 4, so the lowest bit of each is free to say
// posMid: the records published so far end in the middle of a message
// (head), or the consumer has taken part of a message and not its end
// (tail). Being in the same word as the position, the bit is always exact:
// whoever takes a side over from a dead process knows whether that process
// died in the middle of a message.
const (
	ringCap         = 4
	ringMaxMsgs     = 8
	ringProd        = 128
	ringHead        = 192
	ringConsWaiting = 200
	ringTailSeen    = 208
	ringCons        = 256
	ringTail        = 320
	ringProdWaiting = 328
	ringHeadSeen    = 332
	ringHeader      = 384

	ringMagicValue = 0x52494e32 // "RIN2"

	recMore  = 1 << 31
	recAbort = 1 << 30
	recPad   = 1 << 29
	recLen   = recPad - 1

	posMid = 1

	// MinRingCapacity and MaxRingCapacity bound the capacity of a Ring.
	MinRingCapacity = 64
	MaxRingCapacity = 1 << 28

	// ringSpin is how many times a Ring operation looks at the other
	// side's position before it sleeps, and ringGap how long it pauses
	// between two looks (see spin). It waits longer than a Mutex because
	// the other side's turn is longer than a critical section.
	ringSpin = 2000
	ringGap  = 0

	// roomSpin and roomGap are the same for a producer waiting for room:
	// about 100 µs, looking every microsecond or so. A producer faster
	// than its consumer finds the ring full again and again, and waits for
	// half of it to be free each time; while it waits, the consumer writes
	// the tail after every message, and each look at the tail takes that
	// line from the consumer's core. Looking now and then leaves the
	// consumer at full speed.
	roomSpin = 30
	roomGap  = 300
)

// past is a deadline that has passed: "do not wait".
var past = time.Unix(0, 1)

// lowHalf is the offset of the low 32 bits inside a uint64 in memory, the
// word a futex waits on for head and tail positions.
var lowHalf = func() int {
	if binary.NativeEndian.Uint16([]byte{1, 0}) == 1 {
		return 0
	}
	return 4
}()

// RingSize returns the number of bytes a Ring with the given data capacity
// occupies in a region.
func RingSize(capacity int) int { return ringHeader + capacity }

// A Ring is a queue of byte messages in shared memory that any number of
// processes put to and get from at once, as the pipe under Python's
// multiprocessing.Queue: message boundaries are kept, and the messages one
// producer puts are got in the order it put them. Create one with InitRing
// or InitRingBounded, then get handles onto it in other processes with
// OpenRing.
//
// Producers take turns under one lock and consumers under another, so a
// producer and a consumer never wait for each other except when the ring is
// full or empty.
//
// # Large messages
//
// A message that does not fit in the ring's capacity (len(msg) > Cap()-4)
// is still delivered whole, in chunks: its producer keeps the producers'
// lock, and its consumer the consumers' lock, until the last chunk has gone
// through. Such a Put therefore needs a consumer taking from the ring while
// it runs. If its deadline passes mid-message, Put withdraws the part
// already sent and the consumer discards it, so a message is delivered whole
// or not at all. A Get that has taken the first chunk of a message waits for
// the rest regardless of its own deadline, since the producer is sending it.
//
// # A process that dies in the middle
//
// A process that dies while it holds a side's lock (in the middle of Put or
// Get, or waiting in one for room or data) leaves that lock held. The next
// Put or Get on that side takes it over once the holder has been seen for
// the lock's Patience and found dead (see Mutex.LockOrRecover), repairs what
// the dead process left, and calls OnRecover:
//
//   - A producer that died in the middle of a message larger than the ring
//     has its message withdrawn, as if its deadline had passed. A consumer
//     waiting for the rest of that message does the takeover itself.
//   - A consumer that died in the middle of such a message has taken part
//     of it with it: the next consumer discards the rest.
//   - Every message that was wholly in the ring stays there, got exactly
//     once: a consumer that died before recording that it had taken a
//     message has not taken it.
type Ring struct {
	// OnRecover, if not nil, is called after this handle has taken a side
	// of the ring over from a process that died holding it. It is called
	// from the Put or Get that took over, with that side's lock held.
	OnRecover func(Recovery)

	// OnDropped, if not nil, is called each time this handle drops the
	// last part of a message whose first part a dead consumer took: a
	// message that was put, counts as got, and that nobody will use.
	OnDropped func()

	// OnPut and OnGet, if not nil, are called with the number of each
	// message this handle puts or gets: the count of messages put before
	// it (Puts), modulo 2^32, which its producer and its consumer both
	// know, so that a tracer can pair the two without carrying anything in
	// the message. OnPut is called after the message is written and before
	// consumers can see it, with the producers' lock held, so whatever it
	// records happens before the message's get; OnGet is called with the
	// consumers' lock held, once the message is taken. Each costs one
	// branch when nil.
	OnPut, OnGet func(n uint32)

	data        []byte
	mask        uint32
	maxMsgs     uint32
	prod, cons  *Mutex
	head, tail  *uint64
	headLow     *uint32 // low half of *head, for futexes
	tailLow     *uint32
	tailSeen    *uint64 // on the producers' line
	headSeen    *uint32 // on the consumers' line
	prodWaiting *uint32
	consWaiting *uint32

	// scratch is where GetFunc puts together a message that is not in one
	// piece in the ring; only the holder of the consumers' lock uses it.
	scratch []byte
}

// A Recovery says what a Ring handle found when it took a side over from a
// process that died holding it.
type Recovery struct {
	Pid  int  // the process that died
	Put  bool // it was putting; otherwise getting
	Lost bool // it died in the middle of a message, which is discarded
}

// InitRing writes an empty ring with a data area of capacity bytes at byte
// off of r and returns a handle onto it. The capacity must be a power of
// two from MinRingCapacity to MaxRingCapacity, and RingSize(capacity) bytes
// from off must lie inside r. Each message takes 4 bytes plus its length
// rounded up to a multiple of 4. Call InitRing once, before any process
// opens the ring.
func InitRing(r *Region, off, capacity int) (*Ring, error) {
	return InitRingBounded(r, off, capacity, 0)
}

// InitRingBounded is InitRing for a ring that also holds at most maxMessages
// messages at once (0: no limit): Put then waits while it holds that many,
// as a bounded queue's put does. Counting in the ring, under the producers'
// lock, means a place is taken and filled in one step, so a producer that
// dies cannot take a place with it.
func InitRingBounded(r *Region, off, capacity, maxMessages int) (*Ring, error) {
	if capacity < MinRingCapacity || capacity > MaxRingCapacity || capacity&(capacity-1) != 0 {
		return nil, fmt.Errorf("%w: ring capacity %d is not a power of two from %d to %d", ErrLayout, capacity, MinRingCapacity, MaxRingCapacity)
	}
	if maxMessages < 0 || maxMessages > math.MaxInt32 {
		return nil, fmt.Errorf("%w: a ring cannot hold at most %d messages", ErrLayout, maxMessages)
	}
	b, err := r.span("ring", off, RingSize(capacity))
	if err != nil {
		return nil, err
	}
	clear(b[:ringHeader])
	atomic.StoreUint32(word32(b, ringCap), uint32(capacity))
	atomic.StoreUint32(word32(b, ringMaxMsgs), uint32(maxMessages))
	atomic.StoreUint32(word32(b, 0), ringMagicValue)
	return openRing(r, b, capacity), nil
}

// OpenRing returns a handle onto the ring that InitRing wrote at byte off
// of r.
func OpenRing(r *Region, off int) (*Ring, error) {
	b, err := r.span("ring", off, ringHeader)
	if err != nil {
		return nil, err
	}
	if atomic.LoadUint32(word32(b, 0)) != ringMagicValue {
		return nil, fmt.Errorf("%w: no ring at offset %d (InitRing not called?)", ErrLayout, off)
	}
	capacity := int(atomic.LoadUint32(word32(b, ringCap)))
	if b, err = r.span("ring", off, RingSize(capacity)); err != nil {
		return nil, err
	}
	return openRing(r, b, capacity), nil
}

func openRing(reg *Region, b []byte, capacity int) *Ring {
	r := &Ring{
		data:        b[ringHeader : ringHeader+capacity],
		mask:        uint32(capacity - 1),
		maxMsgs:     atomic.LoadUint32(word32(b, ringMaxMsgs)),
		prod:        newMutex(reg, b[ringProd:ringProd+MutexSize]),
		cons:        newMutex(reg, b[ringCons:ringCons+MutexSize]),
		head:        word64(b, ringHead),
		tail:        word64(b, ringTail),
		headLow:     word32(b, ringHead+lowHalf),
		tailLow:     word32(b, ringTail+lowHalf),
		tailSeen:    word64(b, ringTailSeen),
		headSeen:    word32(b, ringHeadSeen),
		prodWaiting: word32(b, ringProdWaiting),
		consWaiting: word32(b, ringConsWaiting),
	}
	r.prod.Patience = DefaultPatience
	r.cons.Patience = DefaultPatience
	return r
}

// Cap returns the capacity of the ring's data area in bytes.
func (r *Ring) Cap() int { return len(r.data) }

// MaxMessages returns the most messages the ring holds at once, or 0 for
// no limit other than its capacity.
func (r *Ring) MaxMessages() int { return int(r.maxMsgs) }

// Len returns the number of whole messages in the ring. Other processes may
// change it at any moment, so it is a snapshot (Python's qsize).
func (r *Ring) Len() int {
	got := uint32(atomic.LoadUint64(r.tail) >> 32) // before puts, so never above it
	put := uint32(atomic.LoadUint64(r.head) >> 32)
	return int(put - got)
}

// Puts returns the number of messages ever put, modulo 2^32. A message
// counts from the moment its last byte is in the ring.
func (r *Ring) Puts() uint32 { return uint32(atomic.LoadUint64(r.head) >> 32) }

// Gets returns the number of messages ever got, modulo 2^32.
func (r *Ring) Gets() uint32 { return uint32(atomic.LoadUint64(r.tail) >> 32) }

// Put adds msg to the ring, waiting until the deadline at most (zero: none)
// for room, and returns ErrTimeout if the deadline passes first. A deadline
// that has passed makes it put only if there is room at once. See the Ring
// documentation for messages larger than the ring.
func (r *Ring) Put(msg []byte, deadline time.Time) error {
	return r.PutPair(msg, nil, deadline)
}

// PutPair is Put of the one message made of a followed by b, copied into
// the ring without being joined first: a header and a payload, say.
func (r *Ring) PutPair(a, b []byte, deadline time.Time) error {
	locked, dead := r.prod.LockOrRecover(deadline)
	if !locked {
		return ErrTimeout
	}
	w := r.writer()
	if dead != 0 || w.mid {
		w.repair(dead)
	}
	err := w.put(a, b, deadline)
	if err == nil && r.OnPut != nil {
		r.OnPut(w.puts - 1)
	}
	w.publish()
	r.prod.Unlock()
	return err
}

// PutBatch adds msgs to the ring in order, taking the producers' lock once
// for all of them, and returns how many it added. Consumers may take the
// first messages before the last are added. If the deadline passes, it
// returns the number added so far and ErrTimeout.
func (r *Ring) PutBatch(msgs [][]byte, deadline time.Time) (int, error) {
	locked, dead := r.prod.LockOrRecover(deadline)
	if !locked {
		return 0, ErrTimeout
	}
	w := r.writer()
	if dead != 0 || w.mid {
		w.repair(dead)
	}
	for i, msg := range msgs {
		if err := w.put(msg, nil, deadline); err != nil {
			w.publish()
			r.prod.Unlock()
			return i, err
		}
		if r.OnPut != nil {
			r.OnPut(w.puts - 1)
		}
	}
	w.publish()
	r.prod.Unlock()
	return len(msgs), nil
}

// writer is a producer's view of the ring while it holds the producers'
// lock: it writes records ahead of the published head and publishes them
// in one store.
type writer struct {
	r          *Ring
	head, puts uint32
	published  uint32
	mid        bool   // the last record written continues in the next
	tail, gets uint32 // tail as last seen, without posMid
	tailWord   uint32 // the low half of the tail word as see last read it, flag included
}

// writer returns a writer starting at the published head; the caller holds
// the producers' lock. It starts from the tail the producers last saw, on
// their own cache line, and reads the consumers' line only if that shows
// too little room.
func (r *Ring) writer() writer {
	w := writer{r: r}
	w.head, w.puts = split(atomic.LoadUint64(r.head))
	w.mid = w.head&posMid != 0
	w.head &^= posMid
	w.published = w.head
	w.tail, w.gets = split(atomic.LoadUint64(r.tailSeen))
	return w
}

// see reads how far the consumers have got, and keeps it for the next
// producer.
func (w *writer) see() {
	tail, gets := split(atomic.LoadUint64(w.r.tail))
	w.tailWord = tail
	tail &^= posMid
	if tail != w.tail || gets != w.gets {
		w.tail, w.gets = tail, gets
		atomic.StoreUint64(w.r.tailSeen, uint64(gets)<<32|uint64(tail))
	}
}

// repair finishes what a producer that died holding the lock left: a
// message it was in the middle of is withdrawn, as when a Put's deadline
// passes, and consumers stop waiting for its rest.
func (w *writer) repair(dead int) {
	// The dead producer may have seen a later tail than it kept for us,
	// and written up to it.
	w.see()
	lost := w.mid
	if lost {
		w.record(recAbort, nil, nil)
		w.mid = false
		w.publish()
	}
	// A dead waiter's flag would cost every consumer a wakeup call.
	atomic.StoreUint32(w.r.prodWaiting, 0)
	if dead != 0 && w.r.OnRecover != nil {
		w.r.OnRecover(Recovery{Pid: dead, Put: true, Lost: lost})
	}
}

// free returns the room left, according to the last tail seen.
func (w *writer) free() uint32 {
	capacity := uint32(len(w.r.data))
	if used := w.head - w.tail; used <= capacity {
		return capacity - used
	}
	return 0 // not a tail this head was written against: see again
}

// fits reports whether need bytes fit, and, for the first record of a
// message, whether a bounded ring has a place for one more message.
func (w *writer) fits(need uint32, first bool) bool {
	return w.free() >= need && (!first || w.r.maxMsgs == 0 || w.puts-w.gets < w.r.maxMsgs)
}

// room waits until fits(need, first) or the deadline passes, publishing
// what it wrote before it waits, and reports whether there is room.
func (w *writer) room(need uint32, first bool, deadline time.Time) bool {
	for !w.fits(need, first) {
		w.see()
		if w.fits(need, first) {
			break
		}
		w.publish()
		if expired(deadline) {
			return false
		}
		// While spinning, wait for half the ring (and half its places)
		// rather than just need: a producer that writes each time one
		// message is taken out of a full ring makes both sides miss the
		// cache on every message.
		want := max(need, uint32(len(w.r.data)/2))
		spin(roomSpin, roomGap, func() bool {
			w.see()
			return w.fits(want, first) && (!first || w.r.maxMsgs == 0 || w.puts-w.gets <= w.r.maxMsgs/2)
		})
		if w.fits(need, first) {
			break
		}
		if !await(w.r.tailLow, w.r.prodWaiting, w.tailWord, deadline, nil) {
			return false
		}
	}
	return true
}

// put writes the message a followed by b.
func (w *writer) put(a, b []byte, deadline time.Time) error {
	capacity := uint32(len(w.r.data))
	n := len(a) + len(b)
	size := recordSize(n)
	if size <= uint64(capacity) {
		// A record of up to half the ring is kept in one piece, so that a
		// consumer can use it where it lies: if it would wrap, a pad
		// record skips to the start first.
		need, left := uint32(size), capacity-w.head&w.r.mask
		padded := need <= capacity/2 && need > left
		if padded {
			need += left
		}
		if !w.room(need, true, deadline) {
			return ErrTimeout
		}
		if padded {
			w.pad(left)
		}
		w.record(uint32(n), a, b)
		w.puts++
		return nil
	}
	msg := a
	if len(b) > 0 {
		msg = append(a[:len(a):len(a)], b...)
	}
	// Too large for the ring: send it in chunks of at least half the
	// capacity. Each chunk but the last leaves 4 bytes free, so that an
	// abort record always fits, even for whoever takes over from a
	// producer that dies here.
	sent := false
	for {
		size = recordSize(len(msg))
		if size <= uint64(w.free()) {
			w.record(uint32(len(msg)), msg, nil)
			w.mid = false
			w.puts++
			return nil
		}
		if !w.room(uint32(min(size, uint64(capacity/2))), !sent, deadline) {
			if sent {
				w.record(recAbort, nil, nil)
				w.mid = false
			}
			return ErrTimeout
		}
		if size <= uint64(w.free()) {
			continue
		}
		n := (w.free() - 8) &^ 3
		w.record(n|recMore, msg[:n], nil)
		w.mid = true
		msg = msg[n:]
		sent = true
	}
}

// record writes a record with header hdr and payload a then b at the head.
func (w *writer) record(hdr uint32, a, b []byte) {
	d := w.r.data
	*(*uint32)(unsafe.Pointer(&d[w.head&w.r.mask])) = hdr
	i := (w.head + 4) & w.r.mask
	if len(a) > 0 {
		i = w.copyAt(i, a)
	}
	if len(b) > 0 {
		w.copyAt(i, b)
	}
	w.head += uint32(recordSize(len(a) + len(b)))
}

// copyAt copies p into the data area from i on, wrapping around its end,
// and returns where it stopped.
func (w *writer) copyAt(i uint32, p []byte) uint32 {
	d := w.r.data
	k := copy(d[i:], p)
	copy(d, p[k:])
	return (i + uint32(len(p))) & w.r.mask
}

// pad writes a pad record over the left bytes up to the end of the data
// area, so that the next record starts at its beginning.
func (w *writer) pad(left uint32) {
	*(*uint32)(unsafe.Pointer(&w.r.data[w.head&w.r.mask])) = recPad
	w.head += left
}

// publish makes the records written so far visible to consumers, and wakes
// a consumer sleeping for data.
func (w *writer) publish() {
	if w.head == w.published {
		return
	}
	pos := w.head
	if w.mid {
		pos |= posMid
	}
	atomic.StoreUint64(w.r.head, uint64(w.puts)<<32|uint64(pos))
	w.published = w.head
	if atomic.LoadUint32(w.r.consWaiting) != 0 {
		futexWake(w.r.headLow, 1)
	}
	if w.mid {
		fault("ring.put.partial")
	}
}

// Get takes the next message from the ring, waiting until the deadline at
// most (zero: none) for one, appends it to dst and returns the extended
// slice; pass buf[:0] to reuse buf. If the deadline passes first it returns
// dst and ErrTimeout. A deadline that has passed makes it take a message
// only if one is there at once. A Get does not return ErrTimeout while
// messages are in the ring and a dead process holds the consumers' side:
// it takes the side over.
func (r *Ring) Get(dst []byte, deadline time.Time) ([]byte, error) {
	err := r.get(deadline, &dst, func(msg []byte) { dst = append(dst, msg...) })
	return dst, err
}

// GetFunc takes the next message from the ring as Get does, and instead of
// copying it out calls use with it: msg is the message where it lies in
// the ring, or a copy if it is not in one piece there (a message larger
// than half the ring may not be), and is valid only until use returns. use
// runs with the consumers' lock held: it must be quick, must not keep msg,
// and must not call this ring's methods. If the process dies in use, the
// message stays in the ring for the next consumer.
func (r *Ring) GetFunc(deadline time.Time, use func(msg []byte)) error {
	return r.get(deadline, nil, use)
}

// get is Get with asm, the slice a message that is not in one piece is put
// together in (nil: the handle's scratch, then handed to use), and use,
// which receives a message that is.
func (r *Ring) get(deadline time.Time, asm *[]byte, use func(msg []byte)) error {
	locked, dead := r.cons.LockOrRecover(deadline)
	if !locked && r.Len() > 0 {
		// Messages it could not reach are there: it must not report the
		// ring empty because a dead process holds the consumers' side,
		// however briefly this handle has seen it (at most once per
		// promptEvery, so that polling a live holder stays cheap).
		locked, dead = r.cons.takeOverPromptly()
	}
	if !locked {
		return ErrTimeout
	}
	useAsm := asm == nil // a message put together is handed to use too
	if useAsm {
		r.scratch = r.scratch[:0]
		asm = &r.scratch
	}
	tail, gets := split(atomic.LoadUint64(r.tail))
	// skip: a consumer died (or gave up discarding) in the middle of a
	// message; its rest is read and dropped. It is the only wait that
	// heeds the deadline mid-message: what it drops, the next Get drops.
	skip := tail&posMid != 0
	tail &^= posMid
	if dead != 0 {
		atomic.StoreUint32(r.consWaiting, 0)
		if r.OnRecover != nil {
			r.OnRecover(Recovery{Pid: dead, Lost: skip})
		}
	}
	seen := atomic.LoadUint32(r.headSeen)
	start := len(*asm)
	mid := false // took the first part of the message being read
	for {
		if seen == tail {
			hw := atomic.LoadUint32(r.headLow)
			if hw&^posMid == tail {
				wait := deadline // for the first record of a message; later ones are on their way
				if mid {
					wait = time.Time{}
				}
				arrived := func() bool { return atomic.LoadUint32(r.headLow) != hw }
				if !expired(wait) && spin(ringSpin, ringGap, arrived) {
					continue
				}
				var stuck func() bool
				if mid || skip {
					stuck = r.rescuePut
				} else {
					fault("ring.get.wait")
				}
				if !await(r.headLow, r.consWaiting, hw, wait, stuck) {
					*asm = (*asm)[:start]
					r.cons.Unlock()
					return ErrTimeout
				}
				continue
			}
			seen = hw &^ posMid
			atomic.StoreUint32(r.headSeen, seen)
		}
		hdr := *(*uint32)(unsafe.Pointer(&r.data[tail&r.mask]))
		if hdr == recPad {
			tail = (tail | r.mask) + 1
			continue
		}
		n := int(hdr & recLen)
		i := int((tail + 4) & r.mask)
		if hdr&(recMore|recAbort) == 0 && !mid && !skip && i+n <= len(r.data) {
			// A whole message in one piece: use it where it lies, before
			// the producers may write over it.
			use(r.data[i : i+n])
			r.took(tail+uint32(recordSize(n)), gets+1)
			if r.OnGet != nil {
				r.OnGet(gets)
			}
			r.cons.Unlock()
			return nil
		}
		if hdr&recAbort != 0 {
			n = 0
		} else if !skip {
			end := min(i+n, len(r.data))
			*asm = append(*asm, r.data[i:end]...)
			*asm = append(*asm, r.data[:n-(end-i)]...)
		}
		tail += uint32(recordSize(n))
		more := hdr&(recMore|recAbort) == recMore
		done := false
		switch {
		case hdr&recAbort != 0: // the producer withdrew the message
			*asm, mid, skip = (*asm)[:start], false, false
		case more:
			mid = !skip
		default:
			gets++
			if skip {
				skip = false
				if r.OnDropped != nil {
					r.OnDropped()
				}
			} else {
				done = true
			}
		}
		pos := tail
		if more {
			pos |= posMid
		}
		r.took(pos, gets)
		if done {
			if useAsm {
				use(r.scratch)
				if cap(r.scratch) > maxScratch {
					r.scratch = nil
				}
			}
			if r.OnGet != nil {
				r.OnGet(gets - 1)
			}
			r.cons.Unlock()
			return nil
		}
		if more {
			fault("ring.get.partial")
		}
	}
}

// maxScratch is the largest scratch buffer a Ring handle keeps between
// messages.
const maxScratch = 1 << 20

// took records that the consumers have got to pos (posMid included) and
// have got gets messages, and wakes a producer sleeping for room.
func (r *Ring) took(pos, gets uint32) {
	atomic.StoreUint64(r.tail, uint64(gets)<<32|uint64(pos))
	if atomic.LoadUint32(r.prodWaiting) != 0 {
		futexWake(r.tailLow, 1)
	}
}

// rescuePut is called by a consumer waiting for the rest of a message. If
// the producer sending it died holding the producers' lock, it takes the
// lock over, withdraws the message and reports true.
func (r *Ring) rescuePut() bool {
	locked, dead := r.prod.LockOrRecover(past)
	if !locked {
		return false
	}
	if dead != 0 {
		w := r.writer()
		w.repair(dead)
	}
	r.prod.Unlock()
	return dead != 0
}

// recordSize is the room a record with an n-byte payload takes.
func recordSize(n int) uint64 { return 4 + (uint64(n)+3)&^3 }

// split returns the position and count packed in a head or tail word.
func split(x uint64) (pos, count uint32) { return uint32(x), uint32(x >> 32) }

// await waits until *word != val or the deadline passes, and reports
// whether the word changed. flag tells the other side that it must wake us;
// only the holder of a side's lock waits, so one flag does. If stuck is not
// nil, it is called whenever a sleep ends with the word unchanged; if it
// returns true, await returns true as if the word had changed.
func await(word, flag *uint32, val uint32, deadline time.Time, stuck func() bool) bool {
	// Raise the flag before the futex compares the word; the other side
	// writes the word before it reads the flag, so one of us sees the other.
	atomic.StoreUint32(flag, 1)
	defer atomic.StoreUint32(flag, 0)
	for atomic.LoadUint32(word) == val {
		if ok, _ := sleep(word, val, deadline); !ok {
			return false
		}
		if stuck != nil && atomic.LoadUint32(word) == val && stuck() {
			return true
		}
	}
	return true
}
