# Python original of exercises/12-producer-consumer: two producers, three
# consumers, one Queue, and one None sentinel per consumer. Grade it with:
#   go run ./cmd/grade -cmd 'python3 testdata/scripts/12-producer-consumer/original.py' ./exercises/12-producer-consumer
import os
import random
import time
from multiprocessing import Process, Queue


def producer(food, q):
    for i in range(3):
        time.sleep(random.uniform(0.01, 0.03))
        item = '%s%d' % (food, i)
        # Print before put: once the item is queued, a consumer may print
        # first. flush=True, or a buffered line would show up at exit.
        print('produced %s by %d' % (item, os.getpid()), flush=True)
        q.put(item)


def consumer(q):
    while True:
        item = q.get()
        if item is None:
            print('stopped by %d' % os.getpid(), flush=True)
            return
        time.sleep(random.uniform(0.01, 0.03))
        print('consumed %s by %d' % (item, os.getpid()), flush=True)


if __name__ == '__main__':
    q = Queue()
    producers = [Process(target=producer, args=(food, q)) for food in ('bone', 'meat')]
    consumers = [Process(target=consumer, args=(q,)) for _ in range(3)]
    for p in producers + consumers:
        p.start()
    for p in producers:
        p.join()
    # Only now is every item in the queue: one None after them per consumer.
    for _ in consumers:
        q.put(None)
    for c in consumers:
        c.join()
    print('main done pid=%d' % os.getpid(), flush=True)
