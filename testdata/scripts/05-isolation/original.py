# 05-isolation in Python: the child sets its own n to 0; main's n stays 100.
import os
from multiprocessing import Process

n = 100


def work():
    global n
    n = 0
    print(f"child n={n} pid={os.getpid()}", flush=True)


if __name__ == '__main__':
    p = Process(target=work)
    p.start()
    p.join()
    print(f"main n={n} pid={os.getpid()}", flush=True)
