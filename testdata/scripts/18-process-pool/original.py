# Python original of exercises/18-process-pool: a Pool of three workers
# squares ten numbers with map, then cubes five with apply_async, and is
# closed and joined. Grade it with:
#   go run ./cmd/grade -cmd 'python3 testdata/scripts/18-process-pool/original.py' ./exercises/18-process-pool
import os
import time
from multiprocessing import Pool

WORKERS = 3


# flush=True: stdout is a pipe under the grader, and a buffered line would
# appear only when the process exits, hiding the real order.
def square(x):
    print('square %d start pid=%d' % (x, os.getpid()), flush=True)
    time.sleep(0.02)
    print('square %d end pid=%d' % (x, os.getpid()), flush=True)
    return x * x


def cube(x):
    print('cube %d start pid=%d' % (x, os.getpid()), flush=True)
    time.sleep(0.03)
    print('cube %d end pid=%d' % (x, os.getpid()), flush=True)
    return x * x * x


if __name__ == '__main__':
    print('main pid=%d' % os.getpid(), flush=True)
    pool = Pool(WORKERS)

    squares = pool.map(square, range(10))
    # Go prints a slice as [0 1 4]; Python would print a list as [0, 1, 4].
    print('map: [%s]' % ' '.join(str(y) for y in squares), flush=True)

    results = [pool.apply_async(cube, (x,)) for x in range(5)]
    print('main submitted %d tasks' % len(results), flush=True)
    for x, r in enumerate(results):
        print('async %d -> %d' % (x, r.get()), flush=True)

    pool.close()
    pool.join()
    print('pool joined', flush=True)
