package mp

import (
	"bytes"
	"math"
	"reflect"
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"
)

// The fast paths of codec_fast.go must write the bytes the codec writes,
// and read them back as the codec does, for every type they take.

type fastNamedBytes []byte

type fastNamedInt int

// fastCase checks v of type T both ways: fastEncode against encodeValue,
// then fastDecode against decodeValue on the same bytes.
func fastCase[T any](t *testing.T, v T) {
	t.Helper()
	k := fastKindOf(reflect.TypeFor[T]())
	if k == fastNone {
		t.Fatalf("fastKindOf(%T) = none; want a fast path", v)
	}
	e := encoder{refusal: "test"}
	if err := e.encodeValue(reflect.ValueOf(&v).Elem()); err != nil {
		t.Fatalf("encode %T: %v", v, err)
	}
	head, body := fastEncode(k, unsafe.Pointer(&v), nil)
	if got := append(head, body...); !bytes.Equal(got, e.buf) {
		t.Errorf("fastEncode(%T %#v) = %x; want the codec's %x", v, v, got, e.buf)
	}
	var fast, slow T
	if err := fastDecode(k, e.buf, unsafe.Pointer(&fast)); err != nil {
		t.Fatalf("fastDecode(%x) into %T: %v", e.buf, v, err)
	}
	d := decoder{buf: e.buf}
	if err := d.decodeValue(reflect.ValueOf(&slow).Elem()); err != nil {
		t.Fatalf("decode %T: %v", v, err)
	}
	if !cmp.Equal(fast, slow) || !cmp.Equal(fast, v) || isNil(fast) != isNil(v) {
		t.Errorf("fastDecode(%x) = %#v; the codec decodes %#v, and %#v was sent", e.buf, fast, slow, v)
	}
}

// isNil tells a nil slice from an empty one, which cmp.Equal does not.
func isNil(v any) bool {
	r := reflect.ValueOf(v)
	return r.Kind() == reflect.Slice && r.IsNil()
}

func TestFastCodecIsTheCodec(t *testing.T) {
	for _, b := range [][]byte{nil, {}, {0}, []byte("payload"), bytes.Repeat([]byte{0xff}, 300)} {
		fastCase(t, b)
		fastCase(t, fastNamedBytes(b))
	}
	for _, s := range []string{"", "a", "héllo, 世界", string(make([]byte, 200))} {
		fastCase(t, s)
	}
	for _, n := range []int64{0, 1, -1, 63, -64, 64, math.MaxInt64, math.MinInt64} {
		fastCase(t, int(n))
		fastCase(t, n)
		fastCase(t, fastNamedInt(n))
	}
	for _, typ := range []reflect.Type{
		reflect.TypeFor[int32](), reflect.TypeFor[uint64](), reflect.TypeFor[[]int](),
		reflect.TypeFor[*[]byte](), reflect.TypeFor[any](), reflect.TypeFor[float64](),
	} {
		if k := fastKindOf(typ); k != fastNone {
			t.Errorf("fastKindOf(%s) = %d; want none", typ, k)
		}
	}
	if got := typeName(reflect.TypeFor[[]byte]()); got != bytesName {
		t.Errorf("typeName([]byte) = %q; bytesName, which SendBytes writes, is %q", got, bytesName)
	}
}

// FuzzFastDecode feeds the fast decoders hostile bytes: they must never
// panic, must accept exactly what the codec accepts (ignoring bytes left
// over, as a Queue does), and decode it to the same value.
func FuzzFastDecode(f *testing.F) {
	f.Add(byte(0), []byte{8, 'a', 'b', 'c', 'd', 'e', 'f', 'g'})
	f.Add(byte(0), []byte{0xff, 0xff, 0xff, 0xff, 0x0f, 1})
	f.Add(byte(1), []byte{3, 'x', 'y', 'z'})
	f.Add(byte(2), []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01})
	f.Add(byte(2), []byte{})
	f.Fuzz(func(t *testing.T, which byte, data []byte) {
		switch which % 3 {
		case 0:
			fastAgree[[]byte](t, data)
		case 1:
			fastAgree[string](t, data)
		default:
			fastAgree[int](t, data)
		}
	})
}

func fastAgree[T any](t *testing.T, data []byte) {
	var fast, slow T
	ferr := fastDecode(fastKindOf(reflect.TypeFor[T]()), data, unsafe.Pointer(&fast))
	d := decoder{buf: data}
	serr := d.decodeValue(reflect.ValueOf(&slow).Elem())
	if (ferr == nil) != (serr == nil) {
		t.Fatalf("decoding %x into %T: fast path says %v, the codec %v", data, fast, ferr, serr)
	}
	if ferr == nil && (!cmp.Equal(fast, slow) || isNil(fast) != isNil(slow)) {
		t.Fatalf("decoding %x into %T: fast path %#v, the codec %#v", data, fast, fast, slow)
	}
}

// TestQueueHandleKeepsItsFastPath checks that a Queue passed to another
// process (encoded and decoded as a handle, as for NewProcess) takes the
// fast path there too, not only where it was made.
func TestQueueHandleKeepsItsFastPath(t *testing.T) {
	q := NewQueue[[]byte](0)
	var files []int
	e := encoder{files: &files}
	if err := e.encodeValue(reflect.ValueOf(q)); err != nil {
		t.Fatal(err)
	}
	d := decoder{buf: e.buf, files: files}
	var got *Queue[[]byte]
	if err := d.decodeValue(reflect.ValueOf(&got).Elem()); err != nil {
		t.Fatal(err)
	}
	if q.fast != fastBytes || got.fast != fastBytes {
		t.Errorf("fast path of a Queue[[]byte] made here, and decoded as a handle = %d, %d; want %d, %d", q.fast, got.fast, fastBytes, fastBytes)
	}
}

// TestUnboundedPutWaitsOnceForAbsentReaders checks that Put waits for
// readers who make no room (here there are none) once, not at every Put:
// after the first wait gives up, Puts go to the backlog at once until a
// reader takes something; then a Put may wait again.
func TestUnboundedPutWaitsOnceForAbsentReaders(t *testing.T) {
	q := NewQueue[[]byte](0)
	item := make([]byte, 1024)
	for range 3 * queueRingCap / len(item) {
		if err := q.Put(item); err != nil {
			t.Fatal(err)
		}
	}
	if n := q.gaveUp.Load(); n != 1 {
		t.Fatalf("Puts of 3 rings' worth with no reader gave up waiting %d times; want 1", n)
	}
	if _, err := q.Get(); err != nil {
		t.Fatal(err)
	}
	// The feeder moves items into the room that Get made: readers are back.
	for q.stalled.Load() {
		time.Sleep(time.Millisecond)
	}
	if err := q.Put(item); err != nil {
		t.Fatal(err)
	}
	if n := q.gaveUp.Load(); n != 2 {
		t.Errorf("a Put behind a ring's worth of backlog, after a reader took an item and then stopped, gave up %d times in all; want 2", n)
	}
	// Take the rest, or this process's exit would wait for a reader.
	for q.Qsize() > 0 {
		if _, err := q.Get(); err != nil {
			t.Fatal(err)
		}
	}
}
