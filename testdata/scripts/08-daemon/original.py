# 08-daemon in Python: a daemon ends with main, a non-daemon is waited for,
# and a daemon cannot start a child.
import os
import time
from multiprocessing import Process

UNIT = 0.05  # the tutorial's second, scaled down


def guard():
    print(f"daemon start pid={os.getpid()}", flush=True)
    time.sleep(10 * UNIT)
    print(f"daemon late pid={os.getpid()}", flush=True)


def worker():
    print(f"worker start pid={os.getpid()}", flush=True)
    time.sleep(6 * UNIT)
    print(f"worker done pid={os.getpid()}", flush=True)


def grandchild():
    print(f"grandchild pid={os.getpid()}", flush=True)


def spawner():
    child = Process(target=grandchild)
    try:
        child.start()
    except AssertionError as e:
        print(f"spawner error: {e}", flush=True)
        return
    print(f"spawner started pid={child.pid}", flush=True)


if __name__ == '__main__':
    s = Process(target=spawner)
    s.daemon = True
    s.start()
    s.join()
    d = Process(target=guard)
    d.daemon = True
    w = Process(target=worker)
    for p in (d, w):
        p.start()
    print(f"main end pid={os.getpid()}", flush=True)
