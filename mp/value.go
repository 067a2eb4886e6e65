package mp

import (
	"fmt"
	"runtime"
	"unsafe"

	"github.com/forklore/forklore/mp/internal/shm"
)

// Number is the element type of a Value or an Array: a fixed-size number,
// which can live in shared memory (Python's typecodes 'i', 'd' and so on).
type Number interface {
	~int | ~int8 | ~int16 | ~int32 | ~int64 |
		~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64 |
		~float32 | ~float64
}

// valueData is where the numbers start in an Array's region, after the
// RLock that guards them; valueNumber is where a Value's number is: in its
// lock's own cache line (see shm.MutexFree: the lock of a Value records no
// holder name), so that a process taking the lock gets the number with it.
const (
	valueData   = rlockSize
	valueNumber = shm.MutexFree
)

// Value is a number in shared memory, guarded by a lock, like Python's
// multiprocessing.Value: every process that has the Value sees the same
// number. Load and Store each take the lock, as Python's .value does, but a
// read followed by a write is not atomic: hold the lock around both, or use
// Add. While this process holds the lock (between Lock and Unlock), Load
// and Store read and write the number at once, as part of that hold.
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
	v.lock.shared = newShared("value", rlockSize)
	v.open()
	*v.p = x
	return v
}

func (v *Value[T]) open() {
	v.lock.openRobust("Value")
	releaseWith(v, v.lock.region)
	v.p = (*T)(unsafe.Pointer(&v.lock.region.Bytes()[valueNumber]))
}

// Load returns the number.
func (v *Value[T]) Load() T {
	if v.lock.m.HeldHere() && !perturbOn {
		x := *v.p
		runtime.KeepAlive(v)
		return x
	}
	return v.loadLocked()
}

func (v *Value[T]) loadLocked() T {
	held := v.lock.held()
	x := *v.p
	v.done(held)
	return x
}

// Store sets the number.
func (v *Value[T]) Store(x T) {
	if v.lock.m.HeldHere() && !perturbOn {
		*v.p = x
		runtime.KeepAlive(v)
		return
	}
	v.storeLocked(x)
}

func (v *Value[T]) storeLocked(x T) {
	held := v.lock.held()
	*v.p = x
	v.done(held)
}

// Add adds delta under the lock and returns the new number: Python's
// `with v.get_lock(): v.value += delta`.
func (v *Value[T]) Add(delta T) T {
	held := v.lock.held()
	*v.p += delta
	x := *v.p
	v.done(held)
	return x
}

// done ends an access to the number: it releases the lock that held took,
// if it took it.
func (v *Value[T]) done(held bool) {
	if !held {
		v.lock.Release()
	}
	runtime.KeepAlive(v)
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
// hold it (Lock, Unlock) around a read followed by a write, and while this
// process holds it they do not take it again. Like a Value's, its lock is
// taken over from a process that dies holding it.
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
	held := a.lock.held()
	defer a.done(held)
	return a.s[i]
}

// Set sets element i; it panics if i is out of range.
func (a *Array[T]) Set(i int, x T) {
	held := a.lock.held()
	defer a.done(held)
	a.s[i] = x
}

// Snapshot returns a copy of the whole array, read under the lock.
func (a *Array[T]) Snapshot() []T {
	held := a.lock.held()
	s := append([]T(nil), a.s...)
	a.done(held)
	return s
}

// done ends an access to the numbers: it releases the lock that held took,
// if it took it.
func (a *Array[T]) done(held bool) {
	if !held {
		a.lock.Release()
	}
	runtime.KeepAlive(a)
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
