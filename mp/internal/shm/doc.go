// Package shm provides cross-process synchronisation in shared memory: the
// words that Python's multiprocessing keeps in POSIX semaphores, here kept in
// a memory mapping that several processes share and blocked on with futexes.
//
// It is the layer package mp builds Lock, RLock, Semaphore, Event,
// Condition, Value and Queue on. Nothing here knows about processes beyond
// their pids: a Region is a block of shared memory that crosses to a child as
// an inherited descriptor, and every primitive is a handle onto a few words
// at an offset inside one.
//
// # Regions and offsets
//
// NewRegion creates a mapping backed by an anonymous file (a memfd on Linux,
// an unlinked temporary file elsewhere). Pass Region.File to a child, for
// example in exec.Cmd.ExtraFiles, and have the child call OpenRegion on the
// descriptor it inherits. A fresh region is all zero bytes.
//
// A primitive lives at a byte offset inside a region and occupies a fixed
// number of bytes: MutexSize, SemSize, SeqSize, or RingSize(capacity). The
// caller decides the offsets; this package does no allocation. Offsets must be
// multiples of 8; multiples of 64 (a cache line) keep unrelated primitives
// from slowing each other down, and every size here is a multiple of 64, so
// packing primitives back to back from offset 0 keeps them aligned.
//
// Every primitive is reconstructed in another process from the same region
// and offset: OpenMutex, OpenSem, OpenSeq and OpenRing. Zero bytes are an
// unlocked Mutex and a Seq holding 0, so those need no initialisation; a Sem
// and a Ring must be initialised once, by InitSem and InitRing, before any
// process opens them.
//
// # Deadlines
//
// Every call that can block has a form taking a deadline. The zero time.Time
// means no deadline: wait for as long as it takes. Sleeps last at most
// Recheck, after which the waiter looks at the shared words again. A deadline that has
// already passed means "do not wait": the call succeeds only if it can do so
// at once, as Python's acquire(timeout=0) does. A call that is woken just
// after its deadline and finds it can proceed does so and reports success.
//
// # Pitfalls
//
// A handle points into the mapping. Closing the Region while any handle onto
// it is still in use in this process makes the next use fault; close a region
// only after its last use.
//
// A process that dies while it holds a Mutex leaves it held: Lock waits for
// it forever, just as a Python process waiting for a dead holder's
// multiprocessing.Lock does, and Mutex.OnDeadHolder lets the waiter say
// why. Mutex.LockOrRecover takes such a lock over instead, and Ring uses it
// on both of its sides, so that a process killed in the middle of a Put or
// a Get costs at most the message it was moving (see Ring). A Sem or Seq
// has no lock to leave held; a process that dies between changing one and
// waking its sleepers makes them wake late, by themselves (Recheck).
//
// A handle onto a dead process's lock finds out that it died by its pid,
// checked only once the lock has been seen held by that pid for Patience:
// never on the uncontended path, which stays one atomic instruction.
//
// On Linux, waiting uses futex(2) with shared (not process-private)
// operations. Elsewhere waiting falls back to polling with short sleeps,
// which is correct but slow.
package shm
