# Python original of exercises/14-pipe: the parent and a child exchange
# messages over a Pipe; then two children share one end. Grade it with:
#   go run ./cmd/grade -cmd 'python3 testdata/scripts/14-pipe/original.py' ./exercises/14-pipe
import os
import random
import time
from multiprocessing import Lock, Pipe, Process

STOP = 'stop'


def echo(conn, lock):
    print('child pid=%d' % os.getpid(), flush=True)
    while True:
        # A Python Connection is a byte stream: two processes reading one end
        # at the same time can split a message between them (the docs warn
        # that data may become corrupted). The lock keeps each recv and send
        # whole. Go's mp keeps message boundaries and needs no lock.
        with lock:
            msg = conn.recv()
        if msg == STOP:
            return
        print('received %s by %d' % (msg, os.getpid()), flush=True)
        time.sleep(random.uniform(0.01, 0.03))
        with lock:
            conn.send('%s from %d' % (msg, os.getpid()))


def say(conn, msg):
    print('sent %s' % msg, flush=True)
    conn.send(msg)


if __name__ == '__main__':
    print('main pid=%d' % os.getpid(), flush=True)

    # Part 1: the parent and one child take turns.
    mine, theirs = Pipe()
    child = Process(target=echo, args=(theirs, Lock()))
    child.start()
    for i in range(3):
        say(mine, 'solo%d' % i)
        print('reply %s' % mine.recv(), flush=True)
    mine.send(STOP)
    child.join()
    mine.close()
    theirs.close()

    # Part 2: two children share one end.
    mine, theirs = Pipe()
    lock = Lock()
    children = [Process(target=echo, args=(theirs, lock)) for _ in range(2)]
    for c in children:
        c.start()
    # Without this, the parent keeps the children's end open, and recv
    # below never raises EOFError.
    theirs.close()
    for i in range(4):
        say(mine, 'shared%d' % i)
    for _ in children:
        mine.send(STOP)
    while True:
        try:
            reply = mine.recv()
        except EOFError:
            break
        print('reply %s' % reply, flush=True)
    for c in children:
        c.join()
