# Python original of exercises/10-queue-basics: put and get on a Queue(3),
# until it is full and until it is empty. Grade it with:
#   go run ./cmd/grade -cmd 'python3 testdata/scripts/10-queue-basics/original.py' ./exercises/10-queue-basics
import queue
import time
from multiprocessing import Queue

TIMEOUT = 0.1  # seconds: Python's timeouts are floats


def waited(start):
    return round((time.monotonic() - start) * 1000)


if __name__ == '__main__':
    q = Queue(3)
    for item in ['first', 'second', 'third']:
        q.put(item)
        print('put %s' % item, flush=True)

    try:
        q.put_nowait('fourth')
        print('put_nowait fourth: no error', flush=True)
    except queue.Full:
        print('put_nowait fourth: Full', flush=True)

    start = time.monotonic()
    try:
        q.put('fourth', timeout=TIMEOUT)
        outcome = 'no error'
    except queue.Full:
        outcome = 'Full'
    print('put fourth timeout=%dms: %s after %d ms' % (TIMEOUT * 1000, outcome, waited(start)), flush=True)

    for _ in range(3):
        print('get %s' % q.get(), flush=True)

    try:
        q.get_nowait()
        print('get_nowait: no error', flush=True)
    except queue.Empty:
        print('get_nowait: Empty', flush=True)

    start = time.monotonic()
    try:
        q.get(timeout=TIMEOUT)
        outcome = 'no error'
    except queue.Empty:
        outcome = 'Empty'
    print('get timeout=%dms: %s after %d ms' % (TIMEOUT * 1000, outcome, waited(start)), flush=True)
