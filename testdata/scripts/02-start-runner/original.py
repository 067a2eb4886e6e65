# Python original of exercises/02-start-runner: way two, a Process subclass.
# Grade it with:
#   go run ./cmd/grade -cmd 'python3 testdata/scripts/02-start-runner/original.py' ./exercises/02-start-runner
import os
import random
import time
from multiprocessing import Process, current_process


class Piao(Process):
    def __init__(self, name):
        super().__init__()
        # This renames the process itself: self.name is Process.name.
        self.name = name

    def run(self):
        me = current_process().name  # the same as self.name, in the child
        print('%s run pid=%d process=%s' % (self.name, os.getpid(), me), flush=True)
        time.sleep(random.uniform(0.02, 0.08))
        print('%s end pid=%d process=%s' % (self.name, os.getpid(), me), flush=True)


if __name__ == '__main__':
    for name in ['egon', 'alex', 'wupeiqi', 'yuanhao']:
        Piao(name).start()
    print('main pid=%d' % os.getpid(), flush=True)
