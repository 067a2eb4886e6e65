"""Python's multiprocessing, measured for forklore's side-by-side benchmark.

Run by `go run ./cmd/mpbench`, which embeds this file; it prints one JSON
object mapping a measurement's key to its median. Times are in seconds.
"""
import json
import multiprocessing as mp
import statistics
import sys
import time


def noop():
    pass


def start_join(ctx, n):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        p = ctx.Process(target=noop)
        p.start()
        p.join()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def start_join_10(ctx, n):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        ps = [ctx.Process(target=noop) for _ in range(10)]
        for p in ps:
            p.start()
        for p in ps:
            p.join()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def lock_pairs(n):
    lock = mp.Lock()
    t = time.perf_counter()
    for _ in range(n):
        lock.acquire()
        lock.release()
    return (time.perf_counter() - t) / n


def _increment(v, n, go):
    go.wait()
    for _ in range(n):
        with v.get_lock():
            v.value += 1


def contended_increments(n):
    """Seconds per increment, 2 processes x n locked increments."""
    v = mp.Value("i", 0)
    go = mp.Event()
    ps = [mp.Process(target=_increment, args=(v, n, go)) for _ in range(2)]
    for p in ps:
        p.start()
    t = time.perf_counter()
    go.set()
    for p in ps:
        p.join()
    assert v.value == 2 * n
    return (time.perf_counter() - t) / (2 * n)


def _produce(q, n, go):
    go.wait()
    for i in range(n):
        q.put(i)


def _produce_kib(q, n, go):
    go.wait()
    block = b"x" * 1024
    for _ in range(n):
        q.put(block)


def queue_kib(n):
    """Seconds per 1 KiB bytes item, one child producer to the parent."""
    q = mp.Queue()
    go = mp.Event()
    p = mp.Process(target=_produce_kib, args=(q, n, go))
    p.start()
    t = time.perf_counter()
    go.set()
    for _ in range(n):
        q.get()
    d = time.perf_counter() - t
    p.join()
    return d / n


def queue_items(n, maxsize=0, joinable=False):
    """Seconds per item, one child producer to the parent."""
    q = mp.JoinableQueue(maxsize) if joinable else mp.Queue(maxsize)
    go = mp.Event()
    p = mp.Process(target=_produce, args=(q, n, go))
    p.start()
    t = time.perf_counter()
    go.set()
    for _ in range(n):
        q.get()
        if joinable:
            q.task_done()
    d = time.perf_counter() - t
    p.join()
    return d / n


def _echo(c):
    while True:
        m = c.recv()
        if m is None:
            return
        c.send(m)


def pipe_round_trip(n):
    a, b = mp.Pipe()
    p = mp.Process(target=_echo, args=(b,))
    p.start()
    b.close()
    times = []
    for i in range(n):
        t = time.perf_counter()
        a.send((i, "ping"))
        a.recv()
        times.append(time.perf_counter() - t)
    a.send(None)
    p.join()
    return statistics.median(times)


def _send_kib(c, n, go):
    go.wait()
    block = b"x" * 1024
    for _ in range(n):
        c.send_bytes(block)
    c.close()


def pipe_kib(n):
    """Seconds per 1 KiB message."""
    a, b = mp.Pipe()
    go = mp.Event()
    p = mp.Process(target=_send_kib, args=(b, n, go))
    p.start()
    b.close()
    t = time.perf_counter()
    go.set()
    for _ in range(n):
        a.recv_bytes()
    d = time.perf_counter() - t
    p.join()
    return d / n


def square(x):
    return x * x


def pool_start(ctx, n):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        pool = ctx.Pool(2)
        pool.close()
        pool.join()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def pool_map(n):
    """Seconds per item of Pool(2).map with default chunks."""
    with mp.Pool(2) as pool:
        pool.map(square, range(100))
        t = time.perf_counter()
        pool.map(square, range(n))
        return (time.perf_counter() - t) / n


def main():
    scale = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    n = lambda k: max(3, int(k * scale))
    out = {}
    for method, k in (("fork", 200), ("forkserver", 50), ("spawn", 20)):
        ctx = mp.get_context(method)
        out["start_join_" + method] = start_join(ctx, n(k))
    out["start_join_10_fork"] = start_join_10(mp.get_context("fork"), n(20))
    out["start_join_10_spawn"] = start_join_10(mp.get_context("spawn"), n(3))
    mp.set_start_method("fork", force=True)
    out["lock_pair"] = lock_pairs(n(1_000_000))
    out["contended_increment"] = contended_increments(n(100_000))
    out["queue_item"] = queue_items(n(100_000))
    out["queue_bounded_item"] = queue_items(n(100_000), maxsize=100)
    out["joinable_item"] = queue_items(n(100_000), joinable=True)
    out["queue_kib"] = queue_kib(n(50_000))
    out["pipe_round_trip"] = pipe_round_trip(n(2_000))
    out["pipe_kib"] = pipe_kib(n(100_000))
    out["pool_start_fork"] = pool_start(mp.get_context("fork"), n(20))
    out["pool_start_spawn"] = pool_start(mp.get_context("spawn"), n(3))
    out["pool_map_item"] = pool_map(n(1_000_000))
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
