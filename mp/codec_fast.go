package mp

import (
	"encoding/binary"
	"reflect"
	"unsafe"
)

// The items most programs send through a Queue are byte slices, strings
// and integers. For those the codec's work is a header of a few bytes, so
// reflection, the encoding buffer and the copies around them would cost
// more than the item: a Queue of such a type writes the header and the
// payload straight into the ring, and reads them straight out of it. The
// bytes are exactly what the codec writes for the same type, so either
// side may use either path.

// fastKind names a type the codec has a fast path for.
type fastKind uint8

const (
	fastNone   fastKind = iota
	fastBytes           // a slice of a byte kind: []byte, or a named one
	fastString          // a string kind
	fastInt64           // an int or int64 kind, 8 bytes wide
)

// fastKindOf returns the fast path for items of type t, if any.
func fastKindOf(t reflect.Type) fastKind {
	switch t.Kind() {
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return fastBytes
		}
	case reflect.String:
		return fastString
	case reflect.Int, reflect.Int64:
		if t.Size() == 8 {
			return fastInt64
		}
	}
	return fastNone
}

// maxFastHeader bounds the header fastEncode writes: a varint.
const maxFastHeader = binary.MaxVarintLen64

// fastEncode encodes the item p points to, of a type of kind k, as the
// header it appends to buf and a payload that is p's own memory (nil for
// an integer). The caller copies both before the item can change.
func fastEncode(k fastKind, p unsafe.Pointer, buf []byte) (head, body []byte) {
	switch k {
	case fastBytes:
		b := *(*[]byte)(p)
		if b == nil {
			return append(buf, 0), nil
		}
		return binary.AppendUvarint(buf, uint64(len(b))+1), b
	case fastString:
		s := *(*string)(p)
		return binary.AppendUvarint(buf, uint64(len(s))), unsafe.Slice(unsafe.StringData(s), len(s))
	default: // fastInt64
		return binary.AppendVarint(buf, *(*int64)(p)), nil
	}
}

// fastDecode decodes msg, an item of a type of kind k, into the variable p
// points to. It copies what it keeps: msg may be the ring's memory.
func fastDecode(k fastKind, msg []byte, p unsafe.Pointer) error {
	d := decoder{buf: msg}
	switch k {
	case fastBytes:
		n, err := d.uvarint()
		if err != nil {
			return err
		}
		if n == 0 {
			*(*[]byte)(p) = nil
			return nil
		}
		b, err := d.take(n - 1)
		if err != nil {
			return err
		}
		out := make([]byte, len(b)) // with the copy, one allocation that is not cleared first
		copy(out, b)
		*(*[]byte)(p) = out
	case fastString:
		s, err := d.string()
		if err != nil {
			return err
		}
		*(*string)(p) = s
	default: // fastInt64
		n, k := binary.Varint(d.buf)
		if k <= 0 {
			return errShort
		}
		*(*int64)(p) = n
	}
	return nil
}
