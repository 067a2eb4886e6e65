package mp

import (
	"errors"
	"math"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// In-process round trips through the codec, kind by kind, and what hostile
// bytes do to the decoder. Crossing between processes is tested in
// process_test.go; here the encoder and the decoder meet in one process.

type codecInner struct {
	X, Y int8
	S    []string
}

type codecAll struct {
	B      bool
	I      int
	I8     int8
	I16    int16
	I32    int32
	I64    int64
	U      uint
	U8     uint8
	U16    uint16
	U32    uint32
	U64    uint64
	Uptr   uintptr
	F32    float32
	F64    float64
	C64    complex64
	C128   complex128
	S      string
	Bytes  []byte
	Ints   []int
	Nested [][]string
	Arr    [3]int16
	M      map[string]int
	MS     map[codecKey][]float64
	P      *int
	PP     **string
	NilP   *codecInner
	Any    any
	Anys   []any
	Inner  codecInner
	PInner *codecInner
	Time   time.Time // a BinaryMarshaler
	Named  codecNamed
	hidden int
}

type codecKey struct {
	A int
	B string
}

type codecNamed []map[string]codecInner

// codecList is recursive: a value can nest as deep as the bytes say.
type codecList struct {
	V    int
	Next *codecList
}

// roundTrip encodes v and decodes the bytes into a new T.
func roundTrip[T any](t *testing.T, v T) T {
	t.Helper()
	e := encoder{refusal: "test"}
	if err := e.encodeValue(reflect.ValueOf(&v).Elem()); err != nil {
		t.Fatalf("encode %T: %v", v, err)
	}
	var got T
	d := decoder{buf: e.buf}
	if err := d.decodeValue(reflect.ValueOf(&got).Elem()); err != nil {
		t.Fatalf("decode %T: %v", v, err)
	}
	if len(d.buf) != 0 {
		t.Fatalf("decode %T left %d bytes", v, len(d.buf))
	}
	return got
}

// sameValue compares what crossed: NaNs are equal to NaNs, and unexported
// fields (which do not cross) are compared too, to check they stay zero.
var sameValue = cmp.Options{
	cmpopts.EquateNaNs(),
	cmp.Comparer(func(a, b complex128) bool { return sameFloat(real(a), real(b)) && sameFloat(imag(a), imag(b)) }),
	cmp.Comparer(func(a, b complex64) bool {
		return sameFloat(float64(real(a)), float64(real(b))) && sameFloat(float64(imag(a)), float64(imag(b)))
	}),
	cmp.Exporter(func(reflect.Type) bool { return true }),
}

func sameFloat(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }

func checkRoundTrip[T any](t *testing.T, v T) {
	t.Helper()
	got := roundTrip(t, v)
	if diff := cmp.Diff(v, got, sameValue, cmpopts.IgnoreUnexported(codecAll{})); diff != "" {
		t.Errorf("round trip of %T differs (-sent +received):\n%s", v, diff)
	}
}

func TestCodecRoundTripKinds(t *testing.T) {
	Register(codecInner{}, codecKey{}, []int64(nil))
	n := 42
	s := "pointed"
	ps := &s
	checkRoundTrip(t, codecAll{
		B: true, I: -1 << 62, I8: math.MinInt8, I16: math.MaxInt16, I32: math.MinInt32, I64: math.MaxInt64,
		U: math.MaxUint, U8: math.MaxUint8, U16: 1, U32: math.MaxUint32, U64: math.MaxUint64, Uptr: 7,
		F32: -1.5, F64: math.Inf(-1), C64: complex(1, -2), C128: complex(math.NaN(), math.Inf(1)),
		S: "héllo, 世界", Bytes: []byte{0, 1, 255}, Ints: []int{3, -4}, Nested: [][]string{{"a"}, nil, {}},
		Arr: [3]int16{-1, 0, 1}, M: map[string]int{"a": 1, "": 0},
		MS: map[codecKey][]float64{{1, "x"}: {math.NaN()}, {2, ""}: nil},
		P:  &n, PP: &ps,
		Any:   codecInner{X: 1, S: []string{"in any"}},
		Anys:  []any{nil, 1, "two", 3.0, []byte("four"), map[string]any{"five": []any{int64(5)}}, []int64{6}},
		Inner: codecInner{X: -8, Y: 9}, PInner: &codecInner{S: []string{}},
		Time:   time.Date(2024, 2, 29, 12, 0, 0, 5, time.UTC),
		Named:  codecNamed{{"k": {X: 1}}, nil},
		hidden: 5,
	})
	checkRoundTrip(t, codecAll{}) // every zero value, nils included
}

func TestCodecRoundTripKeepsNilAndEmpty(t *testing.T) {
	got := roundTrip(t, struct {
		NilB, EmptyB []byte
		NilS, EmptyS []int
		NilM, EmptyM map[int]int
		NilA         any
	}{EmptyB: []byte{}, EmptyS: []int{}, EmptyM: map[int]int{}})
	if got.NilB != nil || got.EmptyB == nil || got.NilS != nil || got.EmptyS == nil || got.NilM != nil || got.EmptyM == nil || got.NilA != nil {
		t.Errorf("round trip lost nil versus empty: %#v", got)
	}
}

func TestCodecRoundTripUnexportedFieldsStayZero(t *testing.T) {
	if got := roundTrip(t, codecAll{hidden: 5}); got.hidden != 0 {
		t.Errorf("unexported field crossed: hidden = %d; want 0", got.hidden)
	}
}

// Elements that encode to no bytes at all (found by FuzzDecode: the
// decoder used to expect at least a byte per element).
func TestCodecRoundTripElementsOfNoBytes(t *testing.T) {
	checkRoundTrip(t, []struct{}{{}, {}, {}})
	checkRoundTrip(t, [][0]int{{}, {}})
	checkRoundTrip(t, map[struct{}]struct{}{{}: {}})
	if got := roundTrip(t, []struct{ hidden int }{{1}, {2}}); len(got) != 2 || got[0].hidden != 0 {
		t.Errorf("round trip of two structs without exported fields = %+v; want two zero values", got)
	}
}

func TestCodecRoundTripRecursive(t *testing.T) {
	var l *codecList
	for i := range 100 {
		l = &codecList{V: i, Next: l}
	}
	checkRoundTrip(t, l)
}

func TestCodecRefuses(t *testing.T) {
	cyclic := &codecList{}
	cyclic.Next = cyclic
	for _, c := range []struct {
		name string
		v    any
		want string
		is   error
	}{
		{"a channel", struct{ C chan int }{}, "use an mp.Queue or mp.Pipe", nil},
		{"a function", struct{ F func() }{}, "functions do not cross", nil},
		{"an unregistered type in an interface", struct{ A any }{struct{ Z int }{}}, "call mp.Register", nil},
		{"a cyclic value", cyclic, "nested more than", nil},
		{"a Lock, through a queue", struct{ L *Lock }{NewLock()}, "through inheritance", ErrInheritOnly},
	} {
		e := encoder{refusal: "Queue"}
		err := e.encodeValue(reflect.ValueOf(c.v))
		if err == nil || !strings.Contains(err.Error(), c.want) || (c.is != nil && !errors.Is(err, c.is)) {
			t.Errorf("encoding %s: %v; want an error saying %q", c.name, err, c.want)
		}
	}
}

// fuzzTypes are what FuzzDecode decodes into: its first byte picks one.
var fuzzTypes = []reflect.Type{
	reflect.TypeFor[codecAll](),
	reflect.TypeFor[*codecList](),
	reflect.TypeFor[[]any](),
	reflect.TypeFor[map[string]any](),
	reflect.TypeFor[[]codecInner](),
	reflect.TypeFor[[][]byte](),
	reflect.TypeFor[map[codecKey][]float64](),
	reflect.TypeFor[[]struct{ big [4096]byte }](), // each element takes no bytes and 4 KiB
	reflect.TypeFor[map[any]int](),
	reflect.TypeFor[struct {
		A int8
		B uint16
		C float32
		D complex64
	}](),
	reflect.TypeFor[*Lock](),
	reflect.TypeFor[*Queue[int]](),
	reflect.TypeFor[[]*[1024]int](),
}

// encodeFor encodes v for FuzzDecode's seed corpus.
func encodeFor(i int, v any) []byte {
	e := encoder{refusal: "test"}
	if err := e.encodeValue(reflect.ValueOf(v)); err != nil {
		panic(err)
	}
	return append([]byte{byte(i)}, e.buf...)
}

// FuzzDecode feeds the decoder hostile bytes. It must never panic, nest
// without bound or allocate more than its budget allows; what it accepts
// must encode again and decode to the same value.
func FuzzDecode(f *testing.F) {
	Register(codecInner{}, codecKey{}, []int64(nil))
	n := 7
	f.Add(encodeFor(0, codecAll{I: 1, S: "s", P: &n, Any: codecInner{X: 1}, Time: time.Unix(1, 0).UTC()}))
	f.Add(encodeFor(1, &codecList{V: 1, Next: &codecList{V: 2}}))
	f.Add(encodeFor(2, []any{1, "a", []byte("b"), nil, map[string]any{"c": 1.5}}))
	f.Add(encodeFor(3, map[string]any{"k": []any{int64(1)}}))
	f.Add(encodeFor(6, map[codecKey][]float64{{1, "a"}: {1, 2}}))
	f.Add(encodeFor(8, map[any]int{"a": 1, 2: 2}))
	f.Add([]byte{7, 0xff, 0xff, 0xff, 0xff, 0x0f})                        // a billion 4 KiB elements
	f.Add([]byte{5, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f})            // a huge count of byte slices
	f.Add(append([]byte{7, 0xe1, 0xd4, 0x03}, make([]byte, 60000)...))    // 60000 of them, in 60000 bytes
	f.Add([]byte{8, 2, 6, '[', ']', 'i', 'n', 't', 1, 0})                 // an unhashable map key
	f.Add(append([]byte{1}, []byte(strings.Repeat("\x01\x00", 5000))...)) // 5000 levels deep
	f.Add([]byte{9, 0x80, 0x02, 0, 0, 0, 0, 0, 0, 0xf0, 0x7f})            // 256 in an int8, then an overflowing float32
	f.Add([]byte{12, 2, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		typ := fuzzTypes[int(data[0])%len(fuzzTypes)]
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		v := reflect.New(typ).Elem()
		d := decoder{buf: data[1:]}
		err := d.decodeValue(v)
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		if alloc, limit := after.TotalAlloc-before.TotalAlloc, uint64(allocPerByte*len(data)+allocSlack)*2; alloc > limit {
			t.Fatalf("decoding %d bytes into %s allocated %d bytes; want at most %d", len(data), typ, alloc, limit)
		}
		if err != nil {
			return
		}
		// Accepted: the value must survive another round trip unchanged.
		e := encoder{refusal: "test"}
		if err := e.encodeValue(v); err != nil {
			if strings.Contains(err.Error(), "inheritance") {
				return // a decoded handle cannot be sent again through a queue
			}
			t.Fatalf("decoded a %s, which cannot be encoded again: %v\n%.300v", typ, err, v.Interface())
		}
		again := reflect.New(typ).Elem()
		d2 := decoder{buf: e.buf}
		if err := d2.decodeValue(again); err != nil {
			t.Fatalf("decoding the re-encoded %s: %v\n%.300v", typ, err, v.Interface())
		}
		// DeepEqual first: cmp walks a large array element by element, too
		// slowly for the fuzzer; it only explains a difference (or NaNs).
		if a, b := v.Interface(), again.Interface(); !reflect.DeepEqual(a, b) && !cmp.Equal(a, b, sameValue) {
			t.Fatalf("second round trip differs:\n%.2000s", cmp.Diff(a, b, sameValue))
		}
	})
}
