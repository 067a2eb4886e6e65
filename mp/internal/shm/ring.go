package shm

import (
	"encoding/binary"
	"fmt"
	"sync/atomic"
	"time"
	"unsafe"
)

// Ring layout, in bytes from its offset. Each side's hot words sit on a
// cache line of their own, so a producer and a consumer only share a line
// when one of them reads how far the other has got.
//
//	0    ringMagicValue once InitRing has run
//	4    capacity of the data area in bytes
//	64   producers' Mutex
//	128  consumers' Mutex
//	192  head: uint64, low half the byte position of the next write, high
//	     half the number of messages put (written together, read together)
//	200  1 while a producer sleeps for room
//	256  tail: uint64, low half the byte position of the next read, high
//	     half the number of messages got
//	264  1 while a consumer sleeps for data
//	320  data area, capacity bytes
//
// The data area holds records at 4-byte aligned positions, wrapping around
// its end: a 4-byte header, then the payload padded to 4 bytes. The header
// is the payload length, plus recMore if the next record continues the same
// message; or it is recAbort, which means "forget the message so far".
const (
	ringCap         = 4
	ringProd        = 64
	ringCons        = 128
	ringHead        = 192
	ringProdWaiting = 200
	ringTail        = 256
	ringConsWaiting = 264
	ringHeader      = 320

	ringMagicValue = 0x52494e31 // "RIN1"

	recMore  = 1 << 31
	recAbort = 1 << 30
	recLen   = recAbort - 1

	// MinRingCapacity and MaxRingCapacity bound the capacity of a Ring.
	MinRingCapacity = 64
	MaxRingCapacity = 1 << 30

	// ringSpin is how many times a Ring operation looks at the other
	// side's position before it sleeps. It is larger than a Mutex's spin
	// because the other side's turn is longer than a critical section.
	ringSpin = 2000
)

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
// producer puts are got in the order it put them. Create one with InitRing,
// then get handles onto it in other processes with OpenRing.
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
// A process that dies in the middle of Put or Get leaves the ring's lock
// held, and the ring unusable, as a Python process that dies while writing
// to a Queue's pipe does.
type Ring struct {
	data        []byte
	mask        uint32
	prod, cons  *Mutex
	head, tail  *uint64
	headLow     *uint32 // low half of *head, for futexes
	tailLow     *uint32
	prodWaiting *uint32
	consWaiting *uint32
}

// InitRing writes an empty ring with a data area of capacity bytes at byte
// off of r and returns a handle onto it. The capacity must be a power of
// two from MinRingCapacity to MaxRingCapacity, and RingSize(capacity) bytes
// from off must lie inside r. Each message takes 4 bytes plus its length
// rounded up to a multiple of 4. Call InitRing once, before any process
// opens the ring.
func InitRing(r *Region, off, capacity int) (*Ring, error) {
	if capacity < MinRingCapacity || capacity > MaxRingCapacity || capacity&(capacity-1) != 0 {
		return nil, fmt.Errorf("%w: ring capacity %d is not a power of two from %d to %d", ErrLayout, capacity, MinRingCapacity, MaxRingCapacity)
	}
	b, err := r.span("ring", off, RingSize(capacity))
	if err != nil {
		return nil, err
	}
	clear(b[:ringHeader])
	atomic.StoreUint32(word32(b, ringCap), uint32(capacity))
	atomic.StoreUint32(word32(b, 0), ringMagicValue)
	return openRing(b, capacity), nil
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
	return openRing(b, capacity), nil
}

func openRing(b []byte, capacity int) *Ring {
	return &Ring{
		data:        b[ringHeader : ringHeader+capacity],
		mask:        uint32(capacity - 1),
		prod:        &Mutex{state: word32(b, ringProd), b: b[ringProd : ringProd+MutexSize]},
		cons:        &Mutex{state: word32(b, ringCons), b: b[ringCons : ringCons+MutexSize]},
		head:        word64(b, ringHead),
		tail:        word64(b, ringTail),
		headLow:     word32(b, ringHead+lowHalf),
		tailLow:     word32(b, ringTail+lowHalf),
		prodWaiting: word32(b, ringProdWaiting),
		consWaiting: word32(b, ringConsWaiting),
	}
}

// Cap returns the capacity of the ring's data area in bytes.
func (r *Ring) Cap() int { return len(r.data) }

// Len returns the number of whole messages in the ring. Other processes may
// change it at any moment, so it is a snapshot (Python's qsize).
func (r *Ring) Len() int {
	got := uint32(atomic.LoadUint64(r.tail) >> 32) // before puts, so never above it
	put := uint32(atomic.LoadUint64(r.head) >> 32)
	return int(put - got)
}

// Put adds msg to the ring, waiting until the deadline at most (zero: none)
// for room, and returns ErrTimeout if the deadline passes first. A deadline
// that has passed makes it put only if there is room at once. See the Ring
// documentation for messages larger than the ring.
func (r *Ring) Put(msg []byte, deadline time.Time) error {
	_, err := r.PutBatch([][]byte{msg}, deadline)
	return err
}

// PutBatch adds msgs to the ring in order, taking the producers' lock once
// for all of them, and returns how many it added. Consumers may take the
// first messages before the last are added. If the deadline passes, it
// returns the number added so far and ErrTimeout.
func (r *Ring) PutBatch(msgs [][]byte, deadline time.Time) (int, error) {
	if !r.prod.LockDeadline(deadline) {
		return 0, ErrTimeout
	}
	w := writer{r: r}
	w.head, w.puts = split(atomic.LoadUint64(r.head))
	w.tail, _ = split(atomic.LoadUint64(r.tail))
	w.published = w.head
	for i, msg := range msgs {
		if err := w.put(msg, deadline); err != nil {
			w.publish()
			r.prod.Unlock()
			return i, err
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
	tail       uint32 // last tail seen
}

// free returns the room left, according to the last tail seen.
func (w *writer) free() uint32 { return uint32(len(w.r.data)) - (w.head - w.tail) }

// room waits until free() >= need or the deadline passes, publishing what
// it wrote before it waits, and reports whether there is room.
func (w *writer) room(need uint32, deadline time.Time) bool {
	for w.free() < need {
		w.tail, _ = split(atomic.LoadUint64(w.r.tail))
		if w.free() >= need {
			break
		}
		w.publish()
		if expired(deadline) {
			return false
		}
		// While spinning, wait for half the ring rather than just need:
		// a producer that writes each time one message is taken out of a
		// full ring makes both sides miss the cache on every message.
		want := max(need, uint32(len(w.r.data)/2))
		spin(ringSpin, func() bool {
			w.tail, _ = split(atomic.LoadUint64(w.r.tail))
			return w.free() >= want
		})
		if w.free() >= need {
			break
		}
		if !await(w.r.tailLow, w.r.prodWaiting, w.tail, deadline) {
			return false
		}
	}
	return true
}

func (w *writer) put(msg []byte, deadline time.Time) error {
	capacity := uint32(len(w.r.data))
	size := recordSize(len(msg))
	if size <= uint64(capacity) {
		if !w.room(uint32(size), deadline) {
			return ErrTimeout
		}
		w.record(uint32(len(msg)), msg)
		w.puts++
		return nil
	}
	// Too large for the ring: send it in chunks of at least half the
	// capacity. Each chunk but the last leaves 4 bytes free, so that an
	// abort record always fits.
	sent := false
	for {
		size = recordSize(len(msg))
		if size <= uint64(w.free()) {
			w.record(uint32(len(msg)), msg)
			w.puts++
			return nil
		}
		if !w.room(uint32(min(size, uint64(capacity/2))), deadline) {
			if sent {
				w.record(recAbort, nil)
			}
			return ErrTimeout
		}
		if size <= uint64(w.free()) {
			continue
		}
		n := (w.free() - 8) &^ 3
		w.record(n|recMore, msg[:n])
		msg = msg[n:]
		sent = true
	}
}

// record writes a record with header hdr and payload p at the head.
func (w *writer) record(hdr uint32, p []byte) {
	d := w.r.data
	*(*uint32)(unsafe.Pointer(&d[w.head&w.r.mask])) = hdr
	i := (w.head + 4) & w.r.mask
	copy(d, p[copy(d[i:], p):])
	w.head += uint32(recordSize(len(p)))
}

// publish makes the records written so far visible to consumers, and wakes
// a consumer sleeping for data.
func (w *writer) publish() {
	if w.head == w.published {
		return
	}
	atomic.StoreUint64(w.r.head, uint64(w.puts)<<32|uint64(w.head))
	w.published = w.head
	if atomic.LoadUint32(w.r.consWaiting) != 0 {
		futexWake(w.r.headLow, 1)
	}
}

// Get takes the next message from the ring, waiting until the deadline at
// most (zero: none) for one, appends it to dst and returns the extended
// slice; pass buf[:0] to reuse buf. If the deadline passes first it returns
// dst and ErrTimeout. A deadline that has passed makes it take a message
// only if one is there at once.
func (r *Ring) Get(dst []byte, deadline time.Time) ([]byte, error) {
	if !r.cons.LockDeadline(deadline) {
		return dst, ErrTimeout
	}
	tail, gets := split(atomic.LoadUint64(r.tail))
	start := len(dst)
	wait := deadline // for the first record of a message; later ones are on their way
	for {
		if head, _ := split(atomic.LoadUint64(r.head)); head == tail {
			arrived := func() bool { return atomic.LoadUint32(r.headLow) != tail }
			if !expired(wait) && spin(ringSpin, arrived) {
				continue
			}
			if !await(r.headLow, r.consWaiting, tail, wait) {
				r.cons.Unlock()
				return dst[:start], ErrTimeout
			}
			continue
		}
		hdr := *(*uint32)(unsafe.Pointer(&r.data[tail&r.mask]))
		n := int(hdr & recLen)
		if hdr&recAbort != 0 {
			n = 0
		} else {
			i := int((tail + 4) & r.mask)
			end := min(i+n, len(r.data))
			dst = append(dst, r.data[i:end]...)
			dst = append(dst, r.data[:n-(end-i)]...)
		}
		tail += uint32(recordSize(n))
		done := false
		switch {
		case hdr&recAbort != 0: // the producer withdrew the message
			dst, wait = dst[:start], deadline
		case hdr&recMore != 0:
			wait = time.Time{}
		default:
			gets++
			done = true
		}
		atomic.StoreUint64(r.tail, uint64(gets)<<32|uint64(tail))
		if atomic.LoadUint32(r.prodWaiting) != 0 {
			futexWake(r.tailLow, 1)
		}
		if done {
			r.cons.Unlock()
			return dst, nil
		}
	}
}

// recordSize is the room a record with an n-byte payload takes.
func recordSize(n int) uint64 { return 4 + (uint64(n)+3)&^3 }

// split returns the position and count packed in a head or tail word.
func split(x uint64) (pos, count uint32) { return uint32(x), uint32(x >> 32) }

// await waits until *word != val or the deadline passes, and reports
// whether the word changed. flag tells the other side that it must wake us;
// only the holder of a side's lock waits, so one flag does.
func await(word, flag *uint32, val uint32, deadline time.Time) bool {
	// Raise the flag before the futex compares the word; the other side
	// writes the word before it reads the flag, so one of us sees the other.
	atomic.StoreUint32(flag, 1)
	defer atomic.StoreUint32(flag, 0)
	for atomic.LoadUint32(word) == val {
		if !sleep(word, val, deadline) {
			return false
		}
	}
	return true
}
