# Python original of exercises/19-child-results: the sum 1+2+...+1000 in
# four parts, added up by child processes, whose results come back through
# a Queue, then through a Pool's apply_async. Grade it with:
#   go run ./cmd/grade -cmd 'python3 testdata/scripts/19-child-results/original.py' ./exercises/19-child-results
import os
import random
import time
from multiprocessing import Pool, Process, Queue

PARTS = 4


def part_sum(i):
    time.sleep(random.uniform(0.01, 0.03))
    return sum(range(i * 250 + 1, (i + 1) * 250 + 1))


# flush=True: stdout is a pipe under the grader, and a buffered line would
# appear only when the process exits, hiding the real order.
def child(i, q):
    s = part_sum(i)
    q.put((i, s))
    print('child %d put sum=%d pid=%d' % (i, s, os.getpid()), flush=True)


def task(i):
    print('task %d start pid=%d' % (i, os.getpid()), flush=True)
    s = part_sum(i)
    print('task %d end pid=%d' % (i, os.getpid()), flush=True)
    return s


if __name__ == '__main__':
    print('main pid=%d' % os.getpid(), flush=True)

    q = Queue()
    children = [Process(target=child, args=(i, q)) for i in range(PARTS)]
    for p in children:
        p.start()
    total = 0
    for _ in children:
        i, s = q.get()
        print('main got part %d sum=%d' % (i, s), flush=True)
        total += s
    for p in children:
        p.join()
    print('main joined', flush=True)
    print('queue total=%d' % total, flush=True)

    pool = Pool(PARTS)
    results = [pool.apply_async(task, (i,)) for i in range(PARTS)]
    total = 0
    for i, r in enumerate(results):
        s = r.get()
        print('pool part %d sum=%d' % (i, s), flush=True)
        total += s
    pool.close()
    pool.join()
    print('pool total=%d' % total, flush=True)
