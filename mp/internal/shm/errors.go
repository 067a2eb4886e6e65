package shm

import "errors"

// ErrReleasedTooManyTimes is returned by Mutex.Unlock when the mutex is not
// locked, and by Sem.Release when the release would raise a bounded
// semaphore's value above its bound. The text is Python's.
var ErrReleasedTooManyTimes = errors.New("shm: semaphore or lock released too many times")

// ErrTimeout is returned by Ring.Put, Ring.PutBatch and Ring.Get when the
// deadline passes before the ring has room (Put) or a message (Get).
var ErrTimeout = errors.New("shm: deadline passed")

// ErrLayout is wrapped by the errors of OpenMutex, OpenSem, OpenSeq,
// OpenRing, InitSem and InitRing when the offset or size does not describe a
// valid place in the region, or when the bytes there were not initialised as
// the requested primitive.
var ErrLayout = errors.New("shm: bad layout")

// ErrNotHolder is returned by Mutex.Leave in a process that does not hold
// the mutex.
var ErrNotHolder = errors.New("shm: this process does not hold the lock")
