#!/usr/bin/env python3
"""The program scenarios/gevent-blocking.scn models: a gevent server whose
first handler makes a call gevent does not patch (input(): a read of the
terminal; patch_all() leaves sys.stdin alone), which blocks the one thread
and every greenlet with it.  Needs gevent (Debian: python3-gevent):

    (sleep 4; echo hello) | strace -f -tt -T /usr/bin/python3 \\
        scenarios/py/gevent-blocking.py

(PORT=N in the environment listens on N instead of 8080;
tests/e2e_gevent.sh runs it so and checks the trace.)

The line comes from a pipe here, where the scenario's user types it at
the terminal.  In the trace, the server's read(0, ...) blocks until the
line comes, and no recvfrom, sendto or epoll_wait of the server happens until
it returns, though bob's and carol's requests are there.  The clients are a
forked child with a thread each, as in gevent.py.
"""
import os
import sys
import threading
import time

sys.path.pop(0)              # this file's folder: its name hides the module
PORT = int(os.environ.get("PORT", "8080"))  # the scenario listens on 8080
CLIENTS = 3


def work(us):
    t = time.perf_counter() + us / 1e6
    while time.perf_counter() < t:
        pass


def clients():
    import socket

    def client(i):
        time.sleep(0.001 + 0.0002 * i)
        c = socket.create_connection(("127.0.0.1", PORT))
        time.sleep((0.001, 0.0015, 0.0016)[i])
        c.sendall(b"x" * 100)
        c.recv(4096)
        c.close()

    ts = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


ready_r, ready_w = os.pipe()
if os.fork() == 0:
    os.read(ready_r, 1)      # until the server listens
    clients()
    os._exit(0)

from gevent import monkey    # noqa: E402
monkey.patch_all()
import gevent                # noqa: E402
import socket                # noqa: E402


def handler(c, k):
    c.recv(4096)
    if k == 1:
        input()              # read(0, ...): not patched, the thread blocks
    work(100)
    c.sendall(b"y" * 1024)
    c.close()


s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", PORT))
s.listen(128)
os.write(ready_w, b"!")      # (not in the scenario: the clients may start)
hs = []
for k in range(1, CLIENTS + 1):
    c, _ = s.accept()
    hs.append(gevent.spawn(handler, c, k))
gevent.joinall(hs)
os.wait()
