# Python original of exercises/11-queue-between-processes: three children
# send a message each to their parent through one Queue. Grade it with:
#   go run ./cmd/grade -cmd 'python3 testdata/scripts/11-queue-between-processes/original.py' ./exercises/11-queue-between-processes
import os
import random
import time
from multiprocessing import Process, Queue


def child(i, q):
    time.sleep(random.uniform(0.01, 0.04))
    q.put([i, os.getpid()])
    # flush=True: stdout is a pipe under the grader, and a buffered line
    # would appear only when the process exits, hiding the real order.
    print('child %d put pid=%d' % (i, os.getpid()), flush=True)


if __name__ == '__main__':
    q = Queue()
    children = [Process(target=child, args=(i, q)) for i in range(3)]
    for p in children:
        p.start()
    # Get before join: a child's feeder thread must flush its items into the
    # pipe before the child can exit, so joining first may wait forever.
    for _ in children:
        i, pid = q.get()
        print('main got child %d pid=%d' % (i, pid), flush=True)
    for p in children:
        p.join()
    print('main joined pid=%d' % os.getpid(), flush=True)
