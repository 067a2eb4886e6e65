package shm

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Fault tests stop a child at a chosen point with SIGSTOP (through the fault
// hook), wait until it is stopped, and kill it there: a process that dies at
// exactly that point, whatever the machine's load. Only the wait for a hung
// survivor has a limit, and a generous one.
const hangLimit = 60 * time.Second

// stopAt makes this process stop itself the first time it reaches point.
func stopAt(point string) {
	var once atomic.Bool
	SetFaultHook(func(p string) {
		if p == point && !once.Swap(true) {
			stopThisThread()
			// Continued (to take a SIGTERM), never go past the point.
			for {
				time.Sleep(time.Hour)
			}
		}
	})
}

// waitStopped waits until process pid is stopped (state T in /proc).
func waitStopped(tb testing.TB, pid int) {
	tb.Helper()
	limit := time.Now().Add(hangLimit)
	for time.Now().Before(limit) {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			tb.Fatalf("process %d is gone before it stopped: %v", pid, err)
		}
		if i := bytes.LastIndexByte(stat, ')'); i > 0 && i+2 < len(stat) {
			switch stat[i+2] {
			case 'T', 't':
				return
			case 'Z', 'X':
				tb.Fatalf("process %d died before it reached its stop", pid)
			}
		}
		time.Sleep(time.Millisecond)
	}
	tb.Fatalf("process %d did not stop within %v", pid, hangLimit)
}

// within runs f and fails the test if it has not returned after hangLimit:
// the survivors of a fault must finish, however slowly.
func within(tb testing.TB, what string, f func()) {
	tb.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(hangLimit):
		tb.Fatalf("%s still blocked after %v: a dead process's lock was never taken over", what, hangLimit)
	}
}

func init() {
	// ringPutStop: put the messages "a" and "b", then a message of args[0]
	// bytes, stopping in the middle of it.
	childRoles["ringPutStop"] = func(r *Region, args []int) error {
		ring := must(OpenRing(r, offObj))
		stopAt("ring.put.partial")
		for _, m := range []string{"a", "b"} {
			if err := ring.Put([]byte(m), time.Time{}); err != nil {
				return err
			}
		}
		return ring.Put(bytes.Repeat([]byte("x"), args[0]), time.Time{})
	}
	// ringGetStop: get one message, stopping at the point named by args[0]:
	// 0 while waiting for data, 1 after taking part of a large message.
	childRoles["ringGetStop"] = func(r *Region, args []int) error {
		ring := must(OpenRing(r, offObj))
		stopAt([]string{"ring.get.wait", "ring.get.partial"}[args[0]])
		_, err := ring.Get(nil, time.Time{})
		return err
	}
	// semReleaseStop: release the semaphore, stopping before the wakeup.
	childRoles["semReleaseStop"] = func(r *Region, args []int) error {
		stopAt("sem.release.wake")
		return must(OpenSem(r, offObj)).Release()
	}
	// seqBumpStop: bump the Seq, stopping before the wakeup.
	childRoles["seqBumpStop"] = func(r *Region, args []int) error {
		stopAt("seq.wake")
		must(OpenSeq(r, offObj)).Bump()
		return nil
	}
}

func TestMutexLockOrRecover(t *testing.T) {
	for _, tc := range []struct {
		name     string
		mode     int  // of mutexHold: 1 exits holding the lock, 2 is killed holding it
		deadline bool // take over through calls whose deadline has passed
	}{{"exited", 1, false}, {"killed", 2, false}, {"killed, polled", 2, true}} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRegion(t, 4096)
			child := deadHolder(t, r, tc.mode)
			m := must(OpenMutex(r, offObj))
			m.Patience = 5 * time.Millisecond
			var locked bool
			var dead int
			within(t, "LockOrRecover", func() {
				if !tc.deadline {
					locked, dead = m.LockOrRecover(time.Time{})
					return
				}
				for !locked {
					locked, dead = m.LockOrRecover(time.Now())
				}
			})
			if !locked || dead != child.cmd.Process.Pid {
				t.Fatalf("LockOrRecover = %v, %d; want true, %d (the dead holder)", locked, dead, child.cmd.Process.Pid)
			}
			if pid, _, held := m.Holder(); !held || pid != int(selfPid) {
				t.Errorf("Holder() after the takeover = %d, %v; want this process", pid, held)
			}
			if err := m.Unlock(); err != nil {
				t.Errorf("Unlock after the takeover = %v", err)
			}
			if locked, dead := m.LockOrRecover(time.Time{}); !locked || dead != 0 {
				t.Errorf("LockOrRecover of a free mutex = %v, %d; want true, 0", locked, dead)
			}
		})
	}
}

func TestMutexLockOrRecoverLeavesLiveHolder(t *testing.T) {
	r := newRegion(t, 4096)
	child := startChild(t, r, "mutexHold", 0)
	must(OpenSeq(r, offReady)).WaitChange(0, time.Time{})
	m := must(OpenMutex(r, offObj))
	m.Patience = time.Millisecond
	if locked, dead := m.LockOrRecover(time.Now().Add(50 * time.Millisecond)); locked || dead != 0 {
		t.Errorf("LockOrRecover while a live child holds the mutex = %v, %d; want false, 0", locked, dead)
	}
	must(OpenSeq(r, offGate)).Bump()
	child.wait(t)
}

// TestRingProducerDiesMidMessage kills a producer in the middle of a message
// larger than the ring. The consumer, which has taken its first part, takes
// the producers' side over, drops the part, and the ring goes on working:
// the two messages put before are got once each, and nothing is left over.
func TestRingProducerDiesMidMessage(t *testing.T) {
	r := newRegion(t, 2*4096)
	ring := must(InitRing(r, offObj, ringTestCap))
	var recovered []Recovery
	ring.OnRecover = func(rc Recovery) { recovered = append(recovered, rc) }
	child := startChild(t, r, "ringPutStop", 3*ringTestCap)
	pid := child.cmd.Process.Pid
	waitStopped(t, pid)
	child.kill(t)

	var got []string
	within(t, "Get after the producer died", func() {
		for {
			m, err := ring.Get(nil, time.Now().Add(200*time.Millisecond))
			if err != nil {
				break
			}
			got = append(got, string(m))
		}
	})
	if strings.Join(got, ",") != "a,b" {
		t.Errorf("messages got = %q; want [a b] and no part of the large one", got)
	}
	if want := []Recovery{{Pid: pid, Put: true, Lost: true}}; fmt.Sprint(recovered) != fmt.Sprint(want) {
		t.Errorf("OnRecover calls = %+v; want %+v", recovered, want)
	}
	if err := ring.Put([]byte("after"), time.Now()); err != nil {
		t.Fatalf("Put after the takeover = %v", err)
	}
	if m, err := ring.Get(nil, time.Now()); err != nil || string(m) != "after" {
		t.Errorf("Get = %q, %v; want \"after\"", m, err)
	}
	if ring.Len() != 0 || ring.Puts() != ring.Gets() || ring.Puts() != 3 {
		t.Errorf("Len, Puts, Gets = %d, %d, %d; want 0, 3, 3", ring.Len(), ring.Puts(), ring.Gets())
	}
}

// TestRingConsumerDies kills a consumer holding the consumers' side: waiting
// for data, or in the middle of a large message. The next consumer takes
// over; every message that was whole in the ring is got exactly once, and
// the rest of the message the dead consumer had started is dropped.
func TestRingConsumerDies(t *testing.T) {
	for _, tc := range []struct {
		name   string
		point  int
		polled bool // the survivor only ever gets without waiting
	}{{"waiting", 0, false}, {"waiting, polled", 0, true}, {"mid-message", 1, false}} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRegion(t, 2*4096)
			ring := must(InitRing(r, offObj, ringTestCap))
			var recovered []Recovery
			ring.OnRecover = func(rc Recovery) { recovered = append(recovered, rc) }
			child := startChild(t, r, "ringGetStop", tc.point)
			pid := child.cmd.Process.Pid
			// For the mid-message case, the child takes the first part of a
			// large message and stops; the Put of its rest then waits for
			// room until the survivor has dropped it.
			sent := make(chan error, 1)
			produce := func() {
				if tc.point == 1 {
					if err := ring.Put(bytes.Repeat([]byte("x"), 3*ringTestCap), time.Time{}); err != nil {
						sent <- err
						return
					}
				}
				for i := range 5 {
					if err := ring.Put(fmt.Appendf(nil, "m%d", i), time.Time{}); err != nil {
						sent <- err
						return
					}
				}
				sent <- nil
			}
			if tc.point == 1 {
				go produce()
			}
			waitStopped(t, pid)
			child.kill(t)
			if tc.point == 0 {
				go produce()
			}
			var got []string
			within(t, "Get after the consumer died", func() {
				for len(got) < 5 {
					var m []byte
					var err error
					if tc.polled {
						m, err = ring.Get(nil, time.Now())
					} else {
						m, err = ring.Get(nil, time.Time{})
					}
					if err == nil {
						got = append(got, string(m))
					}
				}
			})
			within(t, "the Puts", func() {
				if err := <-sent; err != nil {
					t.Errorf("Put = %v", err)
				}
			})
			if strings.Join(got, ",") != "m0,m1,m2,m3,m4" {
				t.Errorf("messages got = %q; want m0..m4 once each, in order", got)
			}
			want := []Recovery{{Pid: pid, Lost: tc.point == 1}}
			if fmt.Sprint(recovered) != fmt.Sprint(want) {
				t.Errorf("OnRecover calls = %+v; want %+v", recovered, want)
			}
			if m, err := ring.Get(nil, time.Now()); err == nil {
				t.Errorf("Get after draining = %q; want nothing left", m)
			}
		})
	}
}

func TestRingBounded(t *testing.T) {
	r := newRegion(t, 4096)
	ring := must(InitRingBounded(r, offObj, ringTestCap, 3))
	if ring.MaxMessages() != 3 {
		t.Errorf("MaxMessages() = %d; want 3", ring.MaxMessages())
	}
	for i := range 3 {
		if err := ring.Put([]byte{byte(i)}, time.Now()); err != nil {
			t.Fatalf("Put %d into a ring bounded at 3 = %v", i, err)
		}
	}
	if err := ring.Put([]byte{3}, time.Now()); err != ErrTimeout {
		t.Errorf("Put of a 4th message into a ring bounded at 3 = %v; want ErrTimeout", err)
	}
	began := time.Now()
	if err := ring.Put([]byte{3}, began.Add(20*time.Millisecond)); err != ErrTimeout {
		t.Errorf("Put(in 20ms) into a full ring = %v; want ErrTimeout", err)
	}
	if waited := time.Since(began); waited < 20*time.Millisecond {
		t.Errorf("Put(in 20ms) gave up after %v", waited)
	}
	if m, err := ring.Get(nil, time.Now()); err != nil || m[0] != 0 {
		t.Fatalf("Get = %v, %v", m, err)
	}
	if err := ring.Put([]byte{3}, time.Now()); err != nil {
		t.Errorf("Put after a Get made a place = %v", err)
	}
	if _, err := InitRingBounded(r, offObj, ringTestCap, -1); err == nil {
		t.Errorf("InitRingBounded(max -1) = nil error")
	}
}

// TestLostWakeups kills a process between changing a word and waking its
// sleeper: the sleeper wakes up by itself within Recheck and names the dead
// waker.
func TestLostWakeups(t *testing.T) {
	for _, tc := range []struct {
		role string
		wait func(r *Region, report func(int)) bool
		init func(r *Region)
	}{
		{
			role: "semReleaseStop",
			init: func(r *Region) { must(InitSem(r, offObj, 0, 0)) },
			wait: func(r *Region, report func(int)) bool {
				s := must(OpenSem(r, offObj))
				s.OnLostWake = report
				return s.AcquireDeadline(time.Now().Add(hangLimit))
			},
		},
		{
			role: "seqBumpStop",
			init: func(r *Region) {},
			wait: func(r *Region, report func(int)) bool {
				s := must(OpenSeq(r, offObj))
				s.OnLostWake = report
				return s.WaitChange(0, time.Now().Add(hangLimit))
			},
		},
	} {
		t.Run(tc.role, func(t *testing.T) {
			r := newRegion(t, 4096)
			tc.init(r)
			reports := make(chan int, 2)
			woke := make(chan bool, 1)
			go func() { woke <- tc.wait(r, func(pid int) { reports <- pid }) }()
			waitUntil(func() bool { return sleepers(r.Bytes(), offObj) == 1 })
			child := startChild(t, r, tc.role)
			pid := child.cmd.Process.Pid
			waitStopped(t, pid)
			child.kill(t)
			if ok := <-woke; !ok {
				t.Fatalf("the sleeper gave up after %v", hangLimit)
			}
			select {
			case got := <-reports:
				if got != pid {
					t.Errorf("OnLostWake(%d); want the dead waker %d", got, pid)
				}
			default:
				t.Errorf("OnLostWake was not called; want it called with %d", pid)
			}
		})
	}
}

// stopThisThread stops the process with a SIGSTOP aimed at the calling
// thread: the thread takes it on its way out of the system call and stops
// there. A SIGSTOP sent to the process may be taken by another thread,
// and the caller would run on for a moment before the whole process stops.
func stopThisThread() {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	unix.Tgkill(os.Getpid(), unix.Gettid(), syscall.SIGSTOP)
}

// TestHolderPidReused: a lock word holding the pid of a live process that
// does not map the region (what a dead holder's pid looks like once the
// system has given it to a new process) counts as a dead holder, while a
// process that maps the region counts as alive.
func TestHolderPidReused(t *testing.T) {
	r := newRegion(t, 4096)
	stranger := exec.Command("sleep", "600")
	if err := stranger.Start(); err != nil {
		t.Skip("cannot start sleep:", err)
	}
	t.Cleanup(func() { stranger.Process.Kill(); stranger.Wait() })
	pid := stranger.Process.Pid
	if r.UsedBy(pid) {
		t.Errorf("UsedBy(%d) = true for a process that does not map the region", pid)
	}
	if !r.UsedBy(int(selfPid)) {
		t.Errorf("UsedBy(self) = false; this process maps the region")
	}
	child := startChild(t, r, "mutexHold", 0) // maps the region, holds the mutex
	must(OpenSeq(r, offReady)).WaitChange(0, time.Time{})
	if !r.UsedBy(child.cmd.Process.Pid) {
		t.Errorf("UsedBy(child) = false for a child that maps the region")
	}
	must(OpenSeq(r, offGate)).Bump()
	child.wait(t)

	m := must(OpenMutex(r, offObj))
	m.Patience = time.Millisecond
	atomic.StoreUint32(m.state, uint32(pid)) // "held" by the stranger
	var locked bool
	var dead int
	within(t, "LockOrRecover", func() { locked, dead = m.LockOrRecover(time.Time{}) })
	if !locked || dead != pid {
		t.Errorf("LockOrRecover with the stranger's pid in the lock word = %v, %d; want true, %d", locked, dead, pid)
	}
}
