# Python original of exercises/17-threads-vs-processes: the same counter
# program in four threads, then in four processes. Grade it with:
#   go run ./cmd/grade -cmd 'python3 testdata/scripts/17-threads-vs-processes/original.py' ./exercises/17-threads-vs-processes
import os
import threading
import time
from multiprocessing import Process

lock = threading.Lock()
counter = 0


def add(n):
    global counter
    time.sleep(0.01)
    for _ in range(n):
        with lock:
            counter += 1


def child(n):
    add(n)
    print('child pid=%d counter=%d' % (os.getpid(), counter), flush=True)


if __name__ == '__main__':
    print('main pid=%d' % os.getpid(), flush=True)

    threads = [threading.Thread(target=add, args=(100,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # The tutorials' threads are the goroutines of the Go version.
    print('goroutines: counter=%d' % counter, flush=True)

    # Reset before forking, so that a child starts from 0 under fork as it
    # does under spawn (and in Go).
    counter = 0
    procs = [Process(target=child, args=(100,)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    print('processes: counter=%d' % counter, flush=True)
    print('why: threads share their process\'s memory, so they add to one '
          'counter; each child process adds to its own copy, so main\'s '
          'counter never changes', flush=True)
