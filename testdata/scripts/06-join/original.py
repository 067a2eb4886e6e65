# 06-join in Python: start three processes, then join them all.
import os
import time
from multiprocessing import Process

UNIT = 0.1  # the tutorial's second, scaled down


def task(k):
    print(f"task {k} start pid={os.getpid()}", flush=True)
    time.sleep(k * UNIT)
    print(f"task {k} done pid={os.getpid()}", flush=True)


if __name__ == '__main__':
    start = time.monotonic()
    ps = [Process(target=task, args=(k,)) for k in (1, 2, 3)]
    for p in ps:
        p.start()
    for p in ps:
        p.join()
    elapsed_ms = int((time.monotonic() - start) * 1000)
    print(f"main elapsed_ms={elapsed_ms} pid={os.getpid()}", flush=True)
