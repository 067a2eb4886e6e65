# 07-terminate in Python: terminate a running child, then join it.
import os
import time
from multiprocessing import Process

UNIT = 0.05  # the tutorial's second, scaled down


def task():
    print(f"child start pid={os.getpid()}", flush=True)
    time.sleep(40 * UNIT)
    print(f"child done pid={os.getpid()}", flush=True)


if __name__ == '__main__':
    p = Process(target=task)
    p.start()
    time.sleep(UNIT)
    p.terminate()
    print(f"after terminate alive={p.is_alive()}", flush=True)
    p.join()
    print(f"after join alive={p.is_alive()}", flush=True)
    print(f"exit code={p.exitcode}", flush=True)
