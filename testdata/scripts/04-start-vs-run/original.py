# Python original of exercises/04-start-vs-run: run() is a plain call,
# start() makes a new process, and only once.
# Grade it with:
#   go run ./cmd/grade -cmd 'python3 testdata/scripts/04-start-vs-run/original.py' ./exercises/04-start-vs-run
import os
from multiprocessing import Process, current_process


def task(name):
    print('%s running pid=%d process=%s' % (name, os.getpid(), current_process().name), flush=True)


if __name__ == '__main__':
    print('main pid=%d' % os.getpid(), flush=True)
    p = Process(target=task, args=('alex',))
    p.run()    # here, in MainProcess
    p.start()  # in Process-1
    try:
        p.start()
    except AssertionError as e:  # 'cannot start a process twice'
        print('start again: %s' % e, flush=True)
    p.join()
