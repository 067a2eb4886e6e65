# Python original of exercises/01-start-target: way one, a target function.
# Grade it with:
#   go run ./cmd/grade -cmd 'python3 testdata/scripts/01-start-target/original.py' ./exercises/01-start-target
import os
import random
import time
from multiprocessing import Process


def task(name):
    # flush=True: stdout is a pipe under the grader, and a buffered line
    # would appear only when the process exits, hiding the real order.
    print('%s run pid=%d' % (name, os.getpid()), flush=True)
    time.sleep(random.uniform(0.02, 0.08))
    print('%s end pid=%d' % (name, os.getpid()), flush=True)


if __name__ == '__main__':
    for name in ['egon', 'alex', 'wupeiqi', 'yuanhao']:
        p = Process(target=task, args=(name,))
        p.start()
    # No join: Python joins non-daemonic children when the main module ends.
    print('main pid=%d' % os.getpid(), flush=True)
