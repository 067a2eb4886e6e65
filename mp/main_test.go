package mp_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/forklore/forklore/mp"

	"golang.org/x/sys/unix"
)

// TestMain is the main of every process the tests start: the test binary
// executes itself again for each child, and mp.Main runs the child's target
// instead of the tests.
func TestMain(m *testing.M) {
	mp.Main(
		// process_test.go
		reportArgs, blockOn, exitWith, panicNow, panicInGoroutine, returnError,
		reportPid, setGlobal, startGrandchild, startDaemonGrandchild, reportAuthkey,
		readStdin, takeAny, takeTCP, reportFDs, reportEnv, noop, sleepThenPrint, blockOnChan, startUnjoinedGrandchild, startOrphan, reportParentGone,
		// typeregistry_test.go, in this order: a child running getAny names
		// takesOnlyInB after it
		getAny, takesOnlyInB,
		&fieldRunner{}, runnerByValue{}, &fdRunner{},
		// sync_test.go
		incrementLocked, incrementUnderValueLock, incrementValue, holdLock, acquireAndExit, acquireForever,
		waitEvent, setEventLater, releaseSem, waitCondition, fillArray,
		// queue_test.go
		produce, consume, getOne, putMany, doTasks,
		// pipe_test.go
		echoConn, sendNumbers, recvBig,
		// fastpath_test.go
		echoBytesQueue, putStringsAndInts, sendBytesSizes,
		// pool_test.go
		square, pidOf, mayFail, panics, initCounter, sleepMs,
		// example_test.go
		greet, &Piao{}, countdown, produceWords, shout,
		// trace_test.go
		getReport, sendMixed, recvMixed, getTwice, waitOnce, giveUp, lullWorker, produceNoted, pollAlive,
		// faults_test.go
		getStopped, putBigStopped, putTagged, putThenSay, getSomeThenBlock, sendStopped, recvStopped, recvLines,
		holdCondition, setStopped, releaseStopped, holdValue, setStarted, stopFirstWorker, blockIfZero,
		poolThenReturn,
	)
	// Under -race each child would sleep 1 s at exit to let reports flush.
	os.Setenv("GORACE", "atexit_sleep_ms=0")
	// Orphaned grandchildren come back to the test process, so that tests
	// can watch them die (daemons whose parent was killed).
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		fmt.Fprintln(os.Stderr, "cannot become a subreaper:", err)
		os.Exit(2)
	}
	code := m.Run()
	mp.Finish()
	os.Exit(code)
}
