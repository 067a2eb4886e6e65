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


def main():
    scale = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    n = lambda k: max(3, int(k * scale))
    out = {}
    for method, k in (("fork", 200), ("forkserver", 50), ("spawn", 20)):
        ctx = mp.get_context(method)
        out["start_join_" + method] = start_join(ctx, n(k))
    out["start_join_10_fork"] = start_join_10(mp.get_context("fork"), n(20))
    out["start_join_10_spawn"] = start_join_10(mp.get_context("spawn"), n(3))
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
