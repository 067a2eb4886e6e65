# Python original of exercises/03-count-processes: two processes made each
# way, and every process reports its pid and its parent's.
# Grade it with:
#   go run ./cmd/grade -cmd 'python3 testdata/scripts/03-count-processes/original.py' ./exercises/03-count-processes
import os
from multiprocessing import Process


def report(name):
    print('%s pid=%d ppid=%d' % (name, os.getpid(), os.getppid()), flush=True)


def task(name):
    report(name)


class Piao(Process):
    def __init__(self, name):
        super().__init__()
        self.name = name

    def run(self):
        report(self.name)


if __name__ == '__main__':
    ps = [Process(target=task, args=('egon',)), Process(target=task, args=('alex',)),
          Piao('wupeiqi'), Piao('yuanhao')]
    for p in ps:
        p.start()
    report('main')
