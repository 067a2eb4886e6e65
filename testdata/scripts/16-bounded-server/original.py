# Python original of exercises/16-bounded-server: a Pool of two workers
# serves the clients, one client per task.
# Grade it with:
#   go run ./cmd/grade -cmd 'python3 testdata/scripts/16-bounded-server/original.py' ./exercises/16-bounded-server
import os
import socket
from multiprocessing import Pool

WORKERS = 2

listener = None


def handle(conn):
    # Each line comes back in upper case with the worker's pid, until the
    # client closes.
    with conn, conn.makefile('rw', newline='\n') as f:
        for line in f:
            f.write('%s pid=%d\n' % (line.rstrip('\r\n').upper(), os.getpid()))
            f.flush()


def set_listener(sock):
    # The initializer's arguments go to the workers when they start, so the
    # listening socket is inherited; a task's arguments are pickled through
    # a queue instead.
    global listener
    listener = sock


def serve_one(slot):
    # One task, one client, served to the end: the worker accepts the next
    # client only in its next task.
    conn, addr = listener.accept()
    handle(conn)
    return '%s:%d' % addr


if __name__ == '__main__':
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((os.environ['HOST'], int(os.environ['PORT'])))
    server.listen(16)
    host, port = server.getsockname()
    print('listening on %s:%d pid=%d' % (host, port, os.getpid()), flush=True)
    with Pool(WORKERS, initializer=set_listener, initargs=(server,)) as pool:
        # Serve until stopped: each round gives every worker one task.
        while True:
            pool.map(serve_one, range(WORKERS))
