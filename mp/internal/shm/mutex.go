package shm

import (
	"encoding/binary"
	"runtime"
	"sync/atomic"
	"time"
)

// MutexSize is the number of bytes a Mutex occupies in a region.
const MutexSize = 64

// MaxHolderName is the longest holder name a Mutex records; longer names are
// cut to this many bytes.
const MaxHolderName = 47

// MutexFree is where the bytes a Mutex keeps for holder names begin. A
// Mutex on which SetHolderName and LockAs are never called leaves the bytes
// from MutexFree to MutexSize alone: a structure built on it may keep a few
// words of its own there, on the lock's own cache line, which a process
// that takes the lock then gets with it.
const MutexFree = mutexName

// Mutex layout, in bytes from its offset:
//
//	0   state: 0 when unlocked, else the holder's pid | depth | mutexWaiters
//	4   name sequence: odd while the holder name is being rewritten
//	8   pid of the process that wrote the holder name
//	12  levels of a reentrant hold beyond what depth counts (see Enter)
//	16  holder name: 48 bytes, the length then up to 47 bytes, as 6 words
//
// Linux pids stay below 1<<22 (PID_MAX_LIMIT), so a pid never reaches the
// depth bits: the levels a reentrant holder has entered beyond its first,
// up to mutexDepthMax, and the 12 bytes beyond that. Keeping the holder's
// pid and depth in the lock word makes them exact (never stale or missing
// while the lock is held) and costs nothing on the fast path: one
// compare-and-swap to lock, one to enter again or leave, one swap to
// unlock.
const (
	mutexPid       = 1<<22 - 1
	mutexDepthOne  = 1 << 22
	mutexDepthMax  = 1<<9 - 1
	mutexDepth     = mutexDepthMax * mutexDepthOne
	mutexWaiters   = 1 << 31 // set when some process may sleep on the state word
	mutexNameSeq   = 4
	mutexNameOwner = 8
	mutexExtra     = 12
	mutexName      = 16
	mutexNameWords = 6
)

// mutexSpin is how many times a contended Lock looks at the lock word before
// it goes to sleep, and mutexGap how long it pauses between two looks (see
// spin).
const (
	mutexSpin = 200
	mutexGap  = 0
)

// A Mutex is a mutual exclusion lock shared by every process that maps its
// region, as Python's multiprocessing.Lock: any process or goroutine may
// unlock it, not only the one that locked it. Get one with OpenMutex; zero
// bytes in the region are an unlocked Mutex.
//
// Patience and OnDeadHolder configure this handle only, and must be set
// before the handle's first use.
//
// # A holder that dies
//
// A process that dies while it holds a Mutex never unlocks it. Lock,
// LockAs and LockDeadline keep waiting, as a Python process waiting for a
// dead holder's Lock does, and OnDeadHolder lets the waiter say why.
// LockOrRecover instead takes the lock over, as a robust pthread mutex
// does (EOWNERDEAD): the structures built on a Mutex use it to repair what
// the dead holder left half done.
type Mutex struct {
	// Patience is how long the lock must have been seen held by the same
	// process before a waiter checks whether that process is still alive,
	// and then how often it checks again. The time counts across calls on
	// this handle, so that a loop of calls with short deadlines checks too.
	// Zero means never check.
	Patience time.Duration

	// OnDeadHolder, if not nil, is called at most once per blocked call of
	// Lock, LockAs or LockDeadline, from the waiting goroutine, when the
	// holder has died without unlocking: pid is the dead holder's and name
	// its holder name ("" if it set none). The call keeps waiting
	// afterwards: a dead holder's lock is never released.
	OnDeadHolder func(pid int, name string)

	state    *uint32
	extra    *uint32 // levels beyond the depth bits
	b        []byte
	region   *Region // to tell a dead holder from a new process with its pid
	lastName atomic.Pointer[encodedName]
	nameSeen atomic.Uint32 // the name sequence when this handle last found its name written, or 0

	// The holder this handle last saw, and since when (monotonic
	// nanoseconds): what Patience is measured against.
	suspectPid   atomic.Uint32
	suspectSince atomic.Int64
	prompted     atomic.Int64 // when takeOverPromptly last looked
}

// encodedName is a holder name and its encoding in the region.
type encodedName struct {
	name  string
	words [mutexNameWords]uint64
}

// OpenMutex returns a handle onto the Mutex at byte off of r, which must be
// a multiple of 8 with MutexSize bytes from it inside r.
func OpenMutex(r *Region, off int) (*Mutex, error) {
	b, err := r.span("mutex", off, MutexSize)
	if err != nil {
		return nil, err
	}
	return newMutex(r, b), nil
}

func newMutex(r *Region, b []byte) *Mutex {
	return &Mutex{state: word32(b, 0), extra: word32(b, mutexExtra), b: b, region: r}
}

// Lock locks m, waiting for as long as it takes.
func (m *Mutex) Lock() {
	if !atomic.CompareAndSwapUint32(m.state, 0, selfPid) {
		m.lockSlow(time.Time{}, false)
	}
}

// LockAs locks m and records name as the holder name, as SetHolderName.
func (m *Mutex) LockAs(name string) {
	m.Lock()
	m.SetHolderName(name)
}

// TryLock locks m if it is unlocked, without waiting, and reports whether
// it did.
func (m *Mutex) TryLock() bool {
	return atomic.CompareAndSwapUint32(m.state, 0, selfPid)
}

// LockDeadline locks m, waiting until the deadline at most, and reports
// whether it did. A zero deadline means no deadline; a deadline that has
// passed makes it TryLock.
func (m *Mutex) LockDeadline(deadline time.Time) bool {
	if atomic.CompareAndSwapUint32(m.state, 0, selfPid) {
		return true
	}
	ok, _ := m.lockSlow(deadline, false)
	return ok
}

// LockOrRecover locks m as LockDeadline does, and takes it over from a
// holder that died without unlocking it: it then reports the dead holder's
// pid as dead, and the caller, which now holds m, must repair whatever that
// process left half done. dead is 0 when m was locked in the ordinary way.
//
// The check for a dead holder follows Patience (without it, LockOrRecover
// is LockDeadline). Even a deadline that has passed checks, once the same
// holder has been seen for Patience, so that a loop of TryLock-like calls
// recovers too; the uncontended path stays one compare-and-swap.
//
// A holder counts as dead when its pid is gone, a zombie, or taken by a new
// process that does not map the lock's region (the system reuses pids once
// they wrap around): see Region.UsedBy.
func (m *Mutex) LockOrRecover(deadline time.Time) (locked bool, dead int) {
	if atomic.CompareAndSwapUint32(m.state, 0, selfPid) {
		return true, 0
	}
	return m.lockSlow(deadline, true)
}

// lockSlow is the contended path of every Lock form. With takeOver, a
// holder found dead is replaced; otherwise it is reported to OnDeadHolder,
// once per call.
func (m *Mutex) lockSlow(deadline time.Time, takeOver bool) (bool, int) {
	checking := m.Patience > 0 && (takeOver || m.OnDeadHolder != nil)
	if expired(deadline) {
		if m.TryLock() {
			return true, 0
		}
		if takeOver && checking {
			if v := atomic.LoadUint32(m.state); v != 0 {
				return m.takeOverIfDead(v)
			}
		}
		return false, 0
	}
	if spin(mutexSpin, mutexGap, func() bool { return atomic.LoadUint32(m.state) == 0 && m.TryLock() }) {
		return true, 0
	}
	reported := false
	slept := false // the dead-holder check waits for a first sleep: a lock handed over at once costs no clock reads
	for {
		v := atomic.LoadUint32(m.state)
		if v == 0 {
			// Having slept, take the lock marked as contended: other
			// sleepers may remain and the next Unlock must wake one.
			if atomic.CompareAndSwapUint32(m.state, 0, selfPid|mutexWaiters) {
				return true, 0
			}
			continue
		}
		wake := deadline
		if checking && slept && !reported {
			if takeOver {
				if ok, dead := m.takeOverIfDead(v); ok {
					return true, dead
				}
			} else if pid := v & mutexPid; m.overdue(pid) && deadUser(int(pid), m.region) {
				m.OnDeadHolder(int(pid), m.holderName(pid))
				reported = true
				continue
			}
			if next := m.nextCheck(); wake.IsZero() || next.Before(wake) {
				wake = next
			}
		}
		// Everything the sleep needs is ready before the lock is marked
		// contended: a holder that releases and takes the lock again in
		// the meantime makes the sleep return at once, costs itself a
		// wakeup call for the mark, and this loop another turn.
		d, ok := sleepTime(wake)
		// Mark the lock contended before giving up or sleeping, so that a
		// wakeup this call may have consumed is passed on by the next Unlock.
		if v&mutexWaiters == 0 {
			if !atomic.CompareAndSwapUint32(m.state, v, v|mutexWaiters) {
				continue
			}
			v |= mutexWaiters
		}
		if !ok || expired(deadline) {
			return false, 0
		}
		futexWait(m.state, v, d)
		slept = true
	}
}

// takeOverIfDead takes m over if its state is still v and the holder in v
// has been seen for Patience and is dead.
func (m *Mutex) takeOverIfDead(v uint32) (bool, int) {
	if !m.overdue(v & mutexPid) {
		return false, 0
	}
	return m.takeOver(v)
}

// takeOverPromptly locks m, or takes it over if its holder is dead,
// without waiting for Patience: for a caller that must not give up while a
// dead process holds m. It looks at the holder at most once per
// promptEvery on this handle, so that a caller polling while a live
// process holds m reads /proc only now and then.
func (m *Mutex) takeOverPromptly() (bool, int) {
	v := atomic.LoadUint32(m.state)
	if v == 0 {
		return m.TryLock(), 0
	}
	now := monotonic()
	if last := m.prompted.Load(); last != 0 && now-last < int64(promptEvery) {
		return false, 0
	}
	m.prompted.Store(now)
	return m.takeOver(v)
}

// promptEvery spaces the checks of takeOverPromptly.
const promptEvery = 10 * time.Millisecond

// takeOver takes m over if its state is still v and the holder in v is
// dead.
func (m *Mutex) takeOver(v uint32) (bool, int) {
	pid := v & mutexPid
	if !deadUser(int(pid), m.region) {
		return false, 0
	}
	// Other processes may sleep on the word: keep it marked contended.
	if !atomic.CompareAndSwapUint32(m.state, v, selfPid|mutexWaiters) {
		return false, 0 // it changed: someone else took over, or it was unlocked
	}
	atomic.StoreUint32(m.extra, 0) // the dead holder's levels are not ours
	m.suspectPid.Store(0)
	return true, int(pid)
}

// overdue reports whether pid has held m, as this handle saw it, for
// Patience; it then restarts the count, so that a live holder is checked
// once per Patience.
func (m *Mutex) overdue(pid uint32) bool {
	now := monotonic()
	if m.suspectPid.Load() != pid {
		m.suspectPid.Store(pid)
		m.suspectSince.Store(now)
		return false
	}
	if now-m.suspectSince.Load() < int64(m.Patience) {
		return false
	}
	m.suspectSince.Store(now)
	return true
}

// nextCheck returns when overdue can next report true.
func (m *Mutex) nextCheck() time.Time {
	return epoch.Add(time.Duration(m.suspectSince.Load()) + m.Patience)
}

// Unlock unlocks m, whatever process holds it and however many levels
// (see Enter), and wakes one waiter if there is any. It returns
// ErrReleasedTooManyTimes if m is not locked.
func (m *Mutex) Unlock() error {
	if atomic.LoadUint32(m.extra) != 0 {
		atomic.StoreUint32(m.extra, 0) // the levels go with the hold
	}
	v := atomic.SwapUint32(m.state, 0)
	if v == 0 {
		return ErrReleasedTooManyTimes
	}
	if v&mutexWaiters != 0 {
		futexWake(m.state, 1)
	}
	return nil
}

// HeldHere reports whether this process holds m.
func (m *Mutex) HeldHere() bool { return atomic.LoadUint32(m.state)&mutexPid == selfPid }

// Enter counts one more level of this process's hold on m, as a reentrant
// lock's acquire by its holder does, and reports whether this process
// holds m (if it does not, Enter does nothing). Each Lock and each Enter
// is undone by one Leave. The levels of a hold are the process's, shared by
// its goroutines.
func (m *Mutex) Enter() bool {
	for {
		v := atomic.LoadUint32(m.state)
		if v&mutexPid != selfPid {
			return false
		}
		if v&mutexDepth == mutexDepth {
			atomic.AddUint32(m.extra, 1)
			return true
		}
		if atomic.CompareAndSwapUint32(m.state, v, v+mutexDepthOne) {
			return true
		}
	}
}

// Leave undoes one level of this process's hold on m (a Lock or an Enter),
// and unlocks m, waking a waiter, when it undoes the last; it reports
// whether it did. It returns ErrNotHolder if this process does not hold m.
func (m *Mutex) Leave() (unlocked bool, err error) {
	if m.TryLeave() {
		return true, nil
	}
	return m.leaveSlow()
}

// TryLeave unlocks m if this process holds it at one level and no other
// process waits for it, the common case of Leave, and reports whether it
// did. It is one compare-and-swap, small enough to be inlined.
func (m *Mutex) TryLeave() bool {
	return atomic.CompareAndSwapUint32(m.state, selfPid, 0)
}

func (m *Mutex) leaveSlow() (unlocked bool, err error) {
	for {
		v := atomic.LoadUint32(m.state)
		if v&mutexPid != selfPid {
			return false, ErrNotHolder
		}
		if v&mutexDepth == mutexDepth { // levels past the bits go first
			if x := atomic.LoadUint32(m.extra); x > 0 {
				if atomic.CompareAndSwapUint32(m.extra, x, x-1) {
					return false, nil
				}
				continue
			}
		}
		next := uint32(0)
		if v&mutexDepth != 0 {
			next = v - mutexDepthOne
		}
		if atomic.CompareAndSwapUint32(m.state, v, next) {
			if next == 0 && v&mutexWaiters != 0 {
				futexWake(m.state, 1)
			}
			return next == 0, nil
		}
	}
}

// Levels returns the levels of m's hold, whichever process holds it: 1
// after Lock, one more for each Enter, one fewer for each Leave; 0 if m is
// free.
func (m *Mutex) Levels() int {
	v := atomic.LoadUint32(m.state)
	if v == 0 {
		return 0
	}
	return 1 + int(v&mutexDepth/mutexDepthOne) + int(atomic.LoadUint32(m.extra))
}

// SetLevels sets the levels of this process's hold on m, which it must
// hold, to n >= 1: for a condition variable that gives a reentrant lock
// up whole while it waits, then takes it back.
func (m *Mutex) SetLevels(n int) {
	depth := uint32(min(n-1, mutexDepthMax))
	atomic.StoreUint32(m.extra, uint32(n-1)-depth)
	for {
		v := atomic.LoadUint32(m.state)
		if v&mutexPid != selfPid || atomic.CompareAndSwapUint32(m.state, v, v&^mutexDepth|depth*mutexDepthOne) {
			return
		}
	}
}

// Holder reports the pid of the process holding m and its holder name, and
// whether m is held at all. The name is the last one this process set with
// SetHolderName or LockAs on m, or "" if it set none: it names the process,
// not one particular Lock call.
func (m *Mutex) Holder() (pid int, name string, held bool) {
	v := atomic.LoadUint32(m.state)
	if v == 0 {
		return 0, "", false
	}
	p := v & mutexPid
	return int(p), m.holderName(p), true
}

// SetHolderName records name, cut to MaxHolderName bytes, as the holder
// name of this process for Holder and OnDeadHolder in every process. Call it
// only while this process holds m. Setting the name this process already
// set costs a few loads and no writes.
func (m *Mutex) SetHolderName(name string) {
	// A process sets the same name again and again: if nobody has written
	// a name since this handle found its own there, it still is.
	seq := word32(m.b, mutexNameSeq)
	c := m.lastName.Load()
	if c != nil && c.name == name {
		if s := atomic.LoadUint32(seq); s != 0 && s == m.nameSeen.Load() {
			return
		}
	} else {
		// Encoding the name is most of the rest: keep the last encoding.
		c = &encodedName{name: name, words: encodeName(name)}
		m.lastName.Store(c)
	}
	want := c.words
	if s := atomic.LoadUint32(seq); s&1 == 0 && atomic.LoadUint32(word32(m.b, mutexNameOwner)) == selfPid && m.nameWords() == want && atomic.LoadUint32(seq) == s {
		m.nameSeen.Store(s)
		return
	}
	atomic.AddUint32(seq, 1) // odd: being rewritten
	atomic.StoreUint32(word32(m.b, mutexNameOwner), selfPid)
	for i, w := range want {
		atomic.StoreUint64(word64(m.b, mutexName+8*i), w)
	}
	m.nameSeen.Store(atomic.AddUint32(seq, 1))
}

// holderName returns the holder name written by process pid, or "".
func (m *Mutex) holderName(pid uint32) string {
	seq := word32(m.b, mutexNameSeq)
	// The writer may have died mid-write, leaving the sequence odd
	// forever; give up after a while rather than spin.
	for try := 0; try < 100; try++ {
		s := atomic.LoadUint32(seq)
		if s&1 != 0 {
			runtime.Gosched()
			continue
		}
		owner := atomic.LoadUint32(word32(m.b, mutexNameOwner))
		words := m.nameWords()
		if atomic.LoadUint32(seq) == s {
			if owner != pid {
				return ""
			}
			return decodeName(words)
		}
	}
	return ""
}

func (m *Mutex) nameWords() (w [mutexNameWords]uint64) {
	for i := range w {
		w[i] = atomic.LoadUint64(word64(m.b, mutexName+8*i))
	}
	return w
}

func encodeName(name string) (w [mutexNameWords]uint64) {
	var buf [8 * mutexNameWords]byte
	buf[0] = byte(copy(buf[1:], name))
	for i := range w {
		w[i] = binary.NativeEndian.Uint64(buf[8*i:])
	}
	return w
}

func decodeName(w [mutexNameWords]uint64) string {
	var buf [8 * mutexNameWords]byte
	for i, x := range w {
		binary.NativeEndian.PutUint64(buf[8*i:], x)
	}
	n := min(int(buf[0]), MaxHolderName)
	return string(buf[1 : 1+n])
}
