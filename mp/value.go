package mp

import (
	"fmt"
	"unsafe"
)

// Number is the element type of a Value or an Array: a fixed-size number,
// which can live in shared memory (Python's typecodes 'i', 'd' and so on).
type Number interface {
	~int | ~int8 | ~int16 | ~int32 | ~int64 |
		~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64 |
		~float32 | ~float64
}

// valueData is where the numbers start in a Value's or Array's region,
// after the RLock that guards them.
const valueData = rlockSize

// Value is a number in shared memory, guarded by a lock, like Python's
// multiprocessing.Value: every process that has the Value sees the same
// number. Load and Store each take the lock, as Python's .value does, but a
// read followed by a write is not atomic: hold the lock around both, or use
// Add.
//
// A process that dies holding the lock (terminated between Lock and Unlock)
// does not stop the others: the next process to need the lock takes it over
// and prints one line naming the dead process. The number is as that
// process left it.
//
//	v.Lock()
//	v.Store(v.Load() + 1)
//	v.Unlock()
//
// Its zero value is not usable: make one with NewValue.
type Value[T Number] struct {
	lock RLock
	p    *T
}

// NewValue returns a shared number holding x.
func NewValue[T Number](x T) *Value[T] {
	v := &Value[T]{}
	v.lock.shared = newShared("value", valueData+int(unsafe.Sizeof(x)))
	v.open()
	*v.p = x
	return v
}

func (v *Value[T]) open() {
	v.lock.openRobust("Value")
	releaseWith(v, v.lock.region)
	v.p = (*T)(unsafe.Pointer(&v.lock.region.Bytes()[valueData]))
}

// Load returns the number.
func (v *Value[T]) Load() T {
	v.lock.Acquire()
	x := *v.p
	v.lock.Release()
	return x
}

// Store sets the number.
func (v *Value[T]) Store(x T) {
	v.lock.Acquire()
	*v.p = x
	v.lock.Release()
}

// Add adds delta under the lock and returns the new number: Python's
// `with v.get_lock(): v.value += delta`.
func (v *Value[T]) Add(delta T) T {
	v.lock.Acquire()
	*v.p += delta
	x := *v.p
	v.lock.Release()
	return x
}

// Lock acquires the Value's lock (an RLock, so Load and Store may be
// called while holding it).
func (v *Value[T]) Lock() { v.lock.Acquire() }

// Unlock releases the Value's lock.
func (v *Value[T]) Unlock() { v.lock.Unlock() }

// GetLock returns the lock guarding the number (Python's get_lock).
func (v *Value[T]) GetLock() *RLock { return &v.lock }

// String describes the value as Python's repr does: <Value(3)>.
func (v *Value[T]) String() string { return fmt.Sprintf("<Value(%v)>", v.Load()) }

func (v *Value[T]) mpKind() string { return "Value" }

func (v *Value[T]) encodeHandle(e *encoder) error { return v.lock.encodeShared(e, "Value") }

func (v *Value[T]) decodeHandle(d *decoder) error {
	if err := v.lock.decodeShared(d); err != nil {
		return err
	}
	v.open()
	return nil
}

// Array is a fixed-length array of numbers in shared memory, guarded by a
// lock, like Python's multiprocessing.Array. Get and Set each take the lock;
// hold it (Lock, Unlock) around a read followed by a write. Like a Value's,
// its lock is taken over from a process that dies holding it.
//
// Its zero value is not usable: make one with NewArray.
type Array[T Number] struct {
	lock RLock
	s    []T
}

// NewArray returns a shared array holding a copy of xs.
func NewArray[T Number](xs []T) *Array[T] {
	a := &Array[T]{}
	var zero T
	a.lock.shared = newShared("array", valueData+8+len(xs)*int(unsafe.Sizeof(zero)))
	*(*int64)(unsafe.Pointer(&a.lock.region.Bytes()[valueData])) = int64(len(xs))
	a.open()
	copy(a.s, xs)
	return a
}

func (a *Array[T]) open() {
	a.lock.openRobust("Array")
	releaseWith(a, a.lock.region)
	b := a.lock.region.Bytes()
	n := *(*int64)(unsafe.Pointer(&b[valueData]))
	a.s = unsafe.Slice((*T)(unsafe.Pointer(&b[valueData+8])), n)
}

// Len returns the array's length.
func (a *Array[T]) Len() int { return len(a.s) }

// Get returns element i; it panics if i is out of range, as a slice does.
func (a *Array[T]) Get(i int) T {
	a.lock.Acquire()
	x := a.s[i]
	a.lock.Release()
	return x
}

// Set sets element i.
func (a *Array[T]) Set(i int, x T) {
	a.lock.Acquire()
	a.s[i] = x
	a.lock.Release()
}

// Snapshot returns a copy of the whole array, read under the lock.
func (a *Array[T]) Snapshot() []T {
	a.lock.Acquire()
	s := append([]T(nil), a.s...)
	a.lock.Release()
	return s
}

// Lock acquires the array's lock (an RLock).
func (a *Array[T]) Lock() { a.lock.Acquire() }

// Unlock releases the array's lock.
func (a *Array[T]) Unlock() { a.lock.Unlock() }

// GetLock returns the lock guarding the array.
func (a *Array[T]) GetLock() *RLock { return &a.lock }

func (a *Array[T]) mpKind() string { return "Array" }

func (a *Array[T]) encodeHandle(e *encoder) error { return a.lock.encodeShared(e, "Array") }

func (a *Array[T]) decodeHandle(d *decoder) error {
	if err := a.lock.decodeShared(d); err != nil {
		return err
	}
	a.open()
	return nil
}
