# Python original of exercises/13-joinable-queue: daemonic consumers mark each
# item done, and main waits for the queue. Grade it with:
#   go run ./cmd/grade -cmd 'python3 testdata/scripts/13-joinable-queue/original.py' ./exercises/13-joinable-queue
import os
import random
import time
from multiprocessing import JoinableQueue, Process


def producer(food, q):
    for i in range(3):
        time.sleep(random.uniform(0.01, 0.03))
        item = '%s%d' % (food, i)
        print('produced %s by %d' % (item, os.getpid()), flush=True)
        q.put(item)


def consumer(q):
    while True:
        item = q.get()
        time.sleep(random.uniform(0.01, 0.03))
        print('consumed %s by %d' % (item, os.getpid()), flush=True)
        # Done only once eaten: q.join() in main returns after the last one.
        q.task_done()


if __name__ == '__main__':
    q = JoinableQueue()
    producers = [Process(target=producer, args=(food, q)) for food in ('bone', 'meat')]
    for p in producers:
        p.start()
    for _ in range(3):
        # A daemon is terminated when the main module ends; a consumer that
        # is not would keep the program alive forever.
        c = Process(target=consumer, args=(q,), daemon=True)
        c.start()
    for p in producers:
        p.join()
    q.join()
    print('main done pid=%d' % os.getpid(), flush=True)
