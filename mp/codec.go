package mp

import (
	"encoding"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"sync"
	"syscall"

	"github.com/forklore/forklore/mp/internal/nethook"
)

// The codec turns Go values into bytes that another process of the same
// binary turns back into equal values. It is driven by the static type on
// both sides, so an int stays an int and a struct keeps its type; only
// interface values carry the name of their dynamic type.
//
// Handles (files, network connections, mp's own Lock, Queue, Conn...) do not
// travel as bytes: the encoder collects their descriptors, the child inherits
// them, and the bytes carry only their index. Inheritance is possible only at
// Start, so handles are refused by the codec of a Queue or a Pipe, with the
// reason Python gives.

// maxDepth bounds nesting so that a cyclic value (a list whose tail points
// back at its head) fails with an error instead of exhausting the stack.
const maxDepth = 1000

// handleEncoder is implemented by mp's handle types (Lock, Queue, Conn...).
// mpKind names the type in errors, e.g. "Lock".
type handleEncoder interface {
	mpKind() string
	encodeHandle(e *encoder) error
}

// handleDecoder is implemented by the pointer type of every handleEncoder.
type handleDecoder interface {
	decodeHandle(d *decoder) error
}

var (
	handleEncoderType    = reflect.TypeFor[handleEncoder]()
	handleDecoderType    = reflect.TypeFor[handleDecoder]()
	binaryMarshalerType  = reflect.TypeFor[encoding.BinaryMarshaler]()
	osFileType           = reflect.TypeFor[*os.File]()
	errorType            = reflect.TypeFor[error]()
	syscallConnType      = reflect.TypeFor[syscall.Conn]()
	binaryUnmarshalerTyp = reflect.TypeFor[encoding.BinaryUnmarshaler]()
)

// encoder appends the encoding of values to buf.
type encoder struct {
	buf []byte
	// files holds the descriptors to inherit, duplicated so that the caller
	// may close its copy at any time; nil means handles are refused.
	files *[]int
	// refusal explains why handles are refused ("Queue", "Conn").
	refusal string
	depth   int
}

// decoder reads what an encoder wrote.
//
// A decoder trusts nothing in the bytes: every length is checked against
// what is left, nesting is bounded by maxDepth, and what lengths in the
// message make it allocate is bounded by a budget proportional to the
// message's size, so hostile bytes give an error, never a panic or an
// out-of-memory crash. Its zero value with buf set is ready to use.
type decoder struct {
	buf []byte
	// files are the inherited descriptors, by index; -1 once taken.
	files []int
	depth int
	// budget is how many bytes lengths read from the message may still
	// make the decoder allocate; set from the message's size at first use.
	budget   uint64
	budgeted bool
}

// A message may make its decoder allocate allocPerByte times its size,
// plus allocSlack: enough for any value an encoder wrote (a 1-byte nil
// pointer or empty string decodes into 8 to 24 bytes), but not for a
// forged count of large elements.
const (
	allocPerByte = 64
	allocSlack   = 1 << 20
)

// charge accounts for n elements of size bytes that the message asks for.
func (d *decoder) charge(n uint64, size uintptr) error {
	if size == 0 || n == 0 {
		return nil
	}
	if n > d.budget/uint64(size) {
		return fmt.Errorf("mp: the message asks for %d values of %d bytes, more memory than its %d bytes can hold (is it corrupted, or of another type?)", n, size, len(d.buf))
	}
	d.budget -= n * uint64(size)
	return nil
}

var errShort = errors.New("mp: message ended early (sender and receiver disagree about its type)")

// encodeValue appends v, of static type v.Type().
func (e *encoder) encodeValue(v reflect.Value) error {
	e.depth++
	defer func() { e.depth-- }()
	if e.depth > maxDepth {
		return fmt.Errorf("mp: cannot send a value nested more than %d levels deep (is it cyclic?)", maxDepth)
	}
	t := v.Type()
	if t.Implements(handleEncoderType) || isNetHandle(t) || t == osFileType {
		return e.encodeHandle(v)
	}
	if t.Kind() == reflect.Struct && reflect.PointerTo(t).Implements(handleEncoderType) {
		return fmt.Errorf("mp: a %s is copied here by value; pass a *%s, so that every process shares the same one", t, t)
	}
	switch t.Kind() {
	case reflect.Bool:
		if v.Bool() {
			e.buf = append(e.buf, 1)
		} else {
			e.buf = append(e.buf, 0)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		e.buf = binary.AppendVarint(e.buf, v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		e.buf = binary.AppendUvarint(e.buf, v.Uint())
	case reflect.Float32, reflect.Float64:
		e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(v.Float()))
	case reflect.Complex64, reflect.Complex128:
		c := v.Complex()
		e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(real(c)))
		e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(imag(c)))
	case reflect.String:
		s := v.String()
		e.buf = binary.AppendUvarint(e.buf, uint64(len(s)))
		e.buf = append(e.buf, s...)
	case reflect.Slice:
		if v.IsNil() {
			e.buf = append(e.buf, 0)
			return nil
		}
		n := v.Len()
		e.buf = binary.AppendUvarint(e.buf, uint64(n)+1)
		if t.Elem().Kind() == reflect.Uint8 {
			e.buf = append(e.buf, v.Bytes()...)
			return nil
		}
		for i := range n {
			if err := e.encodeValue(v.Index(i)); err != nil {
				return err
			}
		}
	case reflect.Array:
		for i := range v.Len() {
			if err := e.encodeValue(v.Index(i)); err != nil {
				return err
			}
		}
	case reflect.Map:
		if v.IsNil() {
			e.buf = append(e.buf, 0)
			return nil
		}
		e.buf = binary.AppendUvarint(e.buf, uint64(v.Len())+1)
		it := v.MapRange()
		for it.Next() {
			if err := e.encodeValue(it.Key()); err != nil {
				return err
			}
			if err := e.encodeValue(it.Value()); err != nil {
				return err
			}
		}
	case reflect.Pointer:
		if v.IsNil() {
			e.buf = append(e.buf, 0)
			return nil
		}
		e.buf = append(e.buf, 1)
		return e.encodeValue(v.Elem())
	case reflect.Interface:
		if v.IsNil() {
			e.buf = binary.AppendUvarint(e.buf, 0)
			return nil
		}
		dyn := v.Elem()
		dt := dyn.Type()
		switch {
		case e.files == nil && (dt.Implements(handleEncoderType) || isNetHandle(dt) || dt == osFileType):
			return e.encodeHandle(dyn) // refused, with the reason
		case dt.Kind() == reflect.Chan || dt.Kind() == reflect.Func || dt.Kind() == reflect.UnsafePointer:
			return fmt.Errorf("mp: cannot send a value of type %s to another process: %s", dt, unsendableReason(dt))
		}
		if isNetHandle(dt) && nethook.Rebuild == nil {
			return needMpnet(dt)
		}
		name := cachedTypeName(dt)
		if lookupType(name) != dt {
			return fmt.Errorf("mp: cannot send a %s held in a variable of type %s: the receiving process would not know the type; call mp.Register with a value of type %s before mp.Main, or use a concrete type", dt, t, dt)
		}
		e.buf = binary.AppendUvarint(e.buf, uint64(len(name))+1)
		e.buf = append(e.buf, name...)
		return e.encodeValue(dyn)
	case reflect.Struct:
		if t.Implements(binaryMarshalerType) && reflect.PointerTo(t).Implements(binaryUnmarshalerTyp) {
			b, err := v.Interface().(encoding.BinaryMarshaler).MarshalBinary()
			if err != nil {
				return fmt.Errorf("mp: cannot send %s: %w", t, err)
			}
			e.buf = binary.AppendUvarint(e.buf, uint64(len(b)))
			e.buf = append(e.buf, b...)
			return nil
		}
		for i := range t.NumField() {
			if !t.Field(i).IsExported() {
				continue
			}
			if err := e.encodeValue(v.Field(i)); err != nil {
				return fmt.Errorf("%w (in field %s.%s)", err, t, t.Field(i).Name)
			}
		}
	default: // Chan, Func, UnsafePointer
		return fmt.Errorf("mp: cannot send a value of type %s to another process: %s", t, unsendableReason(t))
	}
	return nil
}

func unsendableReason(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Chan:
		return "a channel connects goroutines of one process only; use an mp.Queue or mp.Pipe between processes"
	case reflect.Func:
		return "functions do not cross process boundaries; pass the function to mp.Main and its data as arguments"
	}
	return "it holds a raw memory address, which means nothing in another process"
}

// isNetHandle reports whether t is one of package net's connections or
// listeners (*net.TCPConn, *net.TCPListener...). mp tells them by their
// package, without linking net: see package mpnet for why.
func isNetHandle(t reflect.Type) bool {
	return t.Kind() == reflect.Pointer && t.Elem().PkgPath() == "net" && t.Implements(syscallConnType)
}

// mpnetPath is the package that teaches mp to pass network connections.
const mpnetPath = "github.com/forklore/forklore/mp/mpnet"

// needMpnet is the error for a network connection or listener passed to a
// process in a program that does not link package mpnet.
func needMpnet(t reflect.Type) error {
	return fmt.Errorf("mp: cannot pass a %s to a process without package mpnet: add the import _ %q to the main package (%w)", t, mpnetPath, ErrNeedMpnet)
}

// encodeHandle appends a handle: a presence byte, then the handle's own data.
func (e *encoder) encodeHandle(v reflect.Value) error {
	t := v.Type()
	if v.Kind() == reflect.Pointer && v.IsNil() {
		e.buf = append(e.buf, 0)
		return nil
	}
	kind := handleKind(v)
	if e.files == nil {
		// Python: "Lock objects should only be shared between processes through inheritance".
		return fmt.Errorf("mp: %s objects should only be shared between processes through inheritance: pass it to the process as an argument of mp.NewProcess instead of sending it through a %s (%w)", kind, e.refusal, ErrInheritOnly)
	}
	if h, ok := v.Interface().(handleEncoder); ok {
		e.buf = append(e.buf, 1)
		return h.encodeHandle(e)
	}
	if t != osFileType && nethook.Rebuild == nil {
		return needMpnet(t)
	}
	e.buf = append(e.buf, 1)
	if err := e.addFileOf(v.Interface().(syscall.Conn), kind); err != nil {
		return err
	}
	if t == osFileType {
		e.appendString(v.Interface().(*os.File).Name())
	}
	return nil
}

func handleKind(v reflect.Value) string {
	if h, ok := v.Interface().(handleEncoder); ok {
		return h.mpKind()
	}
	return v.Type().String()
}

func (e *encoder) appendString(s string) {
	e.buf = binary.AppendUvarint(e.buf, uint64(len(s)))
	e.buf = append(e.buf, s...)
}

// addFileOf duplicates the descriptor of c for the child and appends its index.
func (e *encoder) addFileOf(c syscall.Conn, kind string) error {
	fd, err := dupForChild(c)
	if err != nil {
		return fmt.Errorf("mp: cannot pass the %s to the child: %w", kind, err)
	}
	e.buf = binary.AppendUvarint(e.buf, uint64(len(*e.files)))
	*e.files = append(*e.files, fd)
	return nil
}

// decodeValue reads into v, which must be settable.
func (d *decoder) decodeValue(v reflect.Value) error {
	if !d.budgeted {
		d.budget = allocPerByte*uint64(len(d.buf)) + allocSlack
		d.budgeted = true
	}
	if d.depth >= maxDepth {
		return fmt.Errorf("mp: cannot receive a value nested more than %d levels deep", maxDepth)
	}
	d.depth++
	err := d.decodeKind(v)
	d.depth--
	return err
}

// decodeKind reads into v by its kind; decodeValue bounds the nesting.
func (d *decoder) decodeKind(v reflect.Value) error {
	t := v.Type()
	if t.Implements(handleEncoderType) || isNetHandle(t) || t == osFileType {
		return d.decodeHandle(v)
	}
	switch t.Kind() {
	case reflect.Bool:
		b, err := d.byte()
		if err != nil {
			return err
		}
		v.SetBool(b != 0)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, k := binary.Varint(d.buf)
		if k <= 0 {
			return errShort
		}
		d.buf = d.buf[k:]
		if v.OverflowInt(n) {
			return fmt.Errorf("mp: received %d, which does not fit in a %s", n, t)
		}
		v.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		n, err := d.uvarint()
		if err != nil {
			return err
		}
		if v.OverflowUint(n) {
			return fmt.Errorf("mp: received %d, which does not fit in a %s", n, t)
		}
		v.SetUint(n)
	case reflect.Float32, reflect.Float64:
		f, err := d.float()
		if err != nil {
			return err
		}
		if v.OverflowFloat(f) {
			return fmt.Errorf("mp: received %g, which does not fit in a %s", f, t)
		}
		v.SetFloat(f)
	case reflect.Complex64, reflect.Complex128:
		re, err := d.float()
		if err != nil {
			return err
		}
		im, err := d.float()
		if err != nil {
			return err
		}
		if c := complex(re, im); v.OverflowComplex(c) {
			return fmt.Errorf("mp: received %g, which does not fit in a %s", c, t)
		}
		v.SetComplex(complex(re, im))
	case reflect.String:
		s, err := d.string()
		if err != nil {
			return err
		}
		v.SetString(s)
	case reflect.Slice:
		n, err := d.uvarint()
		if err != nil {
			return err
		}
		if n == 0 {
			v.SetZero()
			return nil
		}
		n--
		if t.Elem().Kind() == reflect.Uint8 {
			b, err := d.take(n)
			if err != nil {
				return err
			}
			s := reflect.MakeSlice(t, int(n), int(n))
			copy(s.Bytes(), b)
			v.Set(s)
			return nil
		}
		least := minEncodedSize(t.Elem())
		if (least > 0 && n > uint64(len(d.buf))/least) || n > math.MaxInt32 {
			return errShort
		}
		if err := d.charge(n, t.Elem().Size()); err != nil {
			return err
		}
		s := reflect.MakeSlice(t, int(n), int(n))
		if least > 0 { // elements that encode to nothing decode to zero values
			for i := range int(n) {
				if err := d.decodeValue(s.Index(i)); err != nil {
					return err
				}
			}
		}
		v.Set(s)
	case reflect.Array:
		for i := range v.Len() {
			if err := d.decodeValue(v.Index(i)); err != nil {
				return err
			}
		}
	case reflect.Map:
		n, err := d.uvarint()
		if err != nil {
			return err
		}
		if n == 0 {
			v.SetZero()
			return nil
		}
		n--
		if least := minEncodedSize(t.Key()) + minEncodedSize(t.Elem()); least > 0 && n > uint64(len(d.buf))/least {
			return errShort
		}
		if err := d.charge(n, t.Key().Size()+t.Elem().Size()+8); err != nil {
			return err
		}
		m := reflect.MakeMapWithSize(t, int(n))
		for range n {
			k := reflect.New(t.Key()).Elem()
			if err := d.decodeValue(k); err != nil {
				return err
			}
			if !k.Comparable() {
				return fmt.Errorf("mp: received a map key that cannot be a key of a %s (it holds a slice, a map or a function)", t)
			}
			e := reflect.New(t.Elem()).Elem()
			if err := d.decodeValue(e); err != nil {
				return err
			}
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Pointer:
		b, err := d.byte()
		if err != nil {
			return err
		}
		if b == 0 {
			v.SetZero()
			return nil
		}
		if err := d.charge(1, t.Elem().Size()); err != nil {
			return err
		}
		p := reflect.New(t.Elem())
		if err := d.decodeValue(p.Elem()); err != nil {
			return err
		}
		v.Set(p)
	case reflect.Interface:
		n, err := d.uvarint()
		if err != nil {
			return err
		}
		if n == 0 {
			v.SetZero()
			return nil
		}
		nb, err := d.take(n - 1)
		if err != nil {
			return err
		}
		dt := lookupType(string(nb))
		if dt == nil {
			return fmt.Errorf("mp: received a value of unknown type %s: call mp.Register with a value of that type before mp.Main", nb)
		}
		if !dt.AssignableTo(t) {
			return fmt.Errorf("mp: received a %s, which does not fit in a %s", dt, t)
		}
		if err := d.charge(1, dt.Size()); err != nil {
			return err
		}
		x := reflect.New(dt).Elem()
		if err := d.decodeValue(x); err != nil {
			return err
		}
		v.Set(x)
	case reflect.Struct:
		if t.Implements(binaryMarshalerType) && reflect.PointerTo(t).Implements(binaryUnmarshalerTyp) {
			n, err := d.uvarint()
			if err != nil {
				return err
			}
			b, err := d.take(n)
			if err != nil {
				return err
			}
			return unmarshalBinary(v.Addr().Interface().(encoding.BinaryUnmarshaler), b)
		}
		for i := range t.NumField() {
			if !t.Field(i).IsExported() {
				continue
			}
			if err := d.decodeValue(v.Field(i)); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("mp: cannot receive a value of type %s: %s", t, unsendableReason(t))
	}
	return nil
}

// minEncodedSize returns the fewest bytes a value of type t encodes to:
// zero for a struct without exported fields, for instance. The decoder
// uses it to bound a count by the bytes left.
func minEncodedSize(t reflect.Type) uint64 {
	if n, ok := minSizes.Load(t); ok {
		return n.(uint64)
	}
	n := minEncodedSizeOf(t, 0)
	minSizes.Store(t, n)
	return n
}

var minSizes sync.Map // reflect.Type → uint64

func minEncodedSizeOf(t reflect.Type, depth int) uint64 {
	if depth > maxDepth {
		return 1
	}
	if t.Implements(handleEncoderType) || isNetHandle(t) || t == osFileType {
		return 1
	}
	switch t.Kind() {
	case reflect.Float32, reflect.Float64:
		return 8
	case reflect.Complex64, reflect.Complex128:
		return 16
	case reflect.Array:
		return uint64(t.Len()) * minEncodedSizeOf(t.Elem(), depth+1)
	case reflect.Struct:
		if t.Implements(binaryMarshalerType) && reflect.PointerTo(t).Implements(binaryUnmarshalerTyp) {
			return 1
		}
		var n uint64
		for i := range t.NumField() {
			if t.Field(i).IsExported() {
				n += minEncodedSizeOf(t.Field(i).Type, depth+1)
			}
		}
		return n
	}
	return 1 // a number, a length, a nil mark or a presence byte
}

// unmarshalBinary calls the type's own decoder, which may not expect the
// bytes of another type or a corrupted message: its panic is an error.
func unmarshalBinary(u encoding.BinaryUnmarshaler, b []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("mp: %T.UnmarshalBinary panicked on the received bytes: %v", u, r)
		}
	}()
	return u.UnmarshalBinary(b)
}

// decodeHandle reads a handle written by encodeHandle.
func (d *decoder) decodeHandle(v reflect.Value) error {
	t := v.Type()
	b, err := d.byte()
	if err != nil {
		return err
	}
	if b == 0 {
		v.SetZero()
		return nil
	}
	if t.Kind() == reflect.Pointer && t.Implements(handleDecoderType) {
		p := reflect.New(t.Elem())
		if err := p.Interface().(handleDecoder).decodeHandle(d); err != nil {
			return err
		}
		v.Set(p)
		return nil
	}
	fd, err := d.file()
	if err != nil {
		return err
	}
	if t == osFileType {
		name, err := d.string()
		if err != nil {
			return err
		}
		v.Set(reflect.ValueOf(os.NewFile(uintptr(fd), name)))
		return nil
	}
	if nethook.Rebuild == nil {
		syscall.Close(fd)
		return needMpnet(t)
	}
	x, err := nethook.Rebuild(t, fd)
	if err != nil {
		return fmt.Errorf("mp: cannot rebuild the inherited %s: %w", t, err)
	}
	v.Set(x)
	return nil
}

// file returns the inherited descriptor named by the next index. Each one
// belongs to exactly one decoded value, which owns it from then on.
func (d *decoder) file() (int, error) {
	i, err := d.uvarint()
	if err != nil {
		return -1, err
	}
	if i >= uint64(len(d.files)) || d.files[i] < 0 {
		return -1, fmt.Errorf("mp: inherited descriptor %d is missing (was this process started by mp?)", i)
	}
	fd := d.files[i]
	d.files[i] = -1
	return fd, nil
}

func (d *decoder) byte() (byte, error) {
	if len(d.buf) == 0 {
		return 0, errShort
	}
	b := d.buf[0]
	d.buf = d.buf[1:]
	return b, nil
}

func (d *decoder) uvarint() (uint64, error) {
	n, k := binary.Uvarint(d.buf)
	if k <= 0 {
		return 0, errShort
	}
	d.buf = d.buf[k:]
	return n, nil
}

func (d *decoder) float() (float64, error) {
	if len(d.buf) < 8 {
		return 0, errShort
	}
	f := math.Float64frombits(binary.LittleEndian.Uint64(d.buf))
	d.buf = d.buf[8:]
	return f, nil
}

func (d *decoder) take(n uint64) ([]byte, error) {
	if n > uint64(len(d.buf)) {
		return nil, errShort
	}
	b := d.buf[:n]
	d.buf = d.buf[n:]
	return b, nil
}

func (d *decoder) string() (string, error) {
	n, err := d.uvarint()
	if err != nil {
		return "", err
	}
	b, err := d.take(n)
	return string(b), err
}

func appendUvarint(b []byte, x uint64) []byte { return binary.AppendUvarint(b, x) }
