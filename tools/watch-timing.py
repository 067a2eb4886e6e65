#!/usr/bin/env python3
# watchtime.py GRADE CLONE EX...: for each exercise, start `GRADE watch exercises/EX` in CLONE,
# wait until it waits for a save, copy the reference solution over the stub, and time until the verdict.
import subprocess, sys, time, glob, os, shutil, select
grade, clone = sys.argv[1], sys.argv[2]
for ex in sys.argv[3:]:
    d = glob.glob(f"{clone}/exercises/{ex}-*")[0]
    sol = glob.glob(f"{clone}/testdata/scripts/{ex}-*/solution/main.go")[0]
    p = subprocess.Popen([grade, "watch", f"exercises/{ex}"], cwd=clone, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    buf = b""; t0 = None; res = None; deadline = time.time() + 300
    while time.time() < deadline:
        r, _, _ = select.select([p.stdout], [], [], 1)
        if r:
            chunk = os.read(p.stdout.fileno(), 65536)
            if not chunk: break
            buf += chunk
        if t0 is None and b"Waiting for you to save" in buf:
            buf = b""; shutil.copy(sol, f"{d}/main.go"); t0 = time.time()
        elif t0 is not None and (b" passes." in buf or b"fails" in buf):
            res = time.time() - t0; break
    p.terminate(); p.wait()
    verdict = "pass" if b" passes." in buf else "other"
    print(f"{ex}: save-to-verdict {res:.2f} s ({verdict}), load {open('/proc/loadavg').read().split()[0]}" if res else f"{ex}: no verdict")
    subprocess.run(["git", "checkout", "-q", "--", f"{d}/main.go"], cwd=clone)
