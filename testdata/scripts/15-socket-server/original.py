# Python original of exercises/15-socket-server: one process per connection.
# Grade it with:
#   go run ./cmd/grade -cmd 'python3 testdata/scripts/15-socket-server/original.py' ./exercises/15-socket-server
import os
import socket
from multiprocessing import Process


def handle(conn):
    # Each line comes back in upper case with the pid of the process that
    # serves this client; an empty read means the client closed.
    with conn, conn.makefile('rw', newline='\n') as f:
        for line in f:
            f.write('%s pid=%d\n' % (line.rstrip('\r\n').upper(), os.getpid()))
            f.flush()


if __name__ == '__main__':
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((os.environ['HOST'], int(os.environ['PORT'])))
    server.listen(16)
    host, port = server.getsockname()
    print('listening on %s:%d pid=%d' % (host, port, os.getpid()), flush=True)
    # Serve until stopped: the grader ends the whole process group.
    while True:
        conn, _ = server.accept()
        p = Process(target=handle, args=(conn,))
        p.start()
        # The child has its own copy of the socket now; close the server's.
        conn.close()
