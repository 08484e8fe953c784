#!/usr/bin/env python3
"""The program scenarios/gevent.scn models: a gevent server, one thread, a
greenlet per client.  Needs gevent (Debian: python3-gevent; run it with
/usr/bin/python3):

    strace -f -tt -T /usr/bin/python3 scenarios/py/gevent.py

(PORT=N in the environment listens on N instead of 8080;
tests/e2e_gevent.sh runs it so and checks the trace.)

The clients are a child process forked before gevent is imported, with a
thread each (the scenario's peers are other hosts), started through a pipe
once the server listens; the server is the parent.  The trace of the parent shows what the scenario shows: the hub
made (epoll_create1(EPOLL_CLOEXEC), eventfd2), every socket made
non-blocking (ioctl FIONBIO), each accept4/recvfrom first failing with
EAGAIN, the hub's epoll_ctl and epoll_wait, and the retried call.  What
differs is in docs/scenario-language.md ("gevent").
"""
import os
import sys
import threading
import time

sys.path.pop(0)              # this file's folder: its name hides the module
PORT = int(os.environ.get("PORT", "8080"))  # the scenario listens on 8080
CLIENTS = 4


def work(us):
    t = time.perf_counter() + us / 1e6
    while time.perf_counter() < t:
        pass


def clients():
    import socket

    def client(i):
        time.sleep((0.001, 0.0012, 0.0014, 0.0014)[i])  # alice, bob, carol, dave
        c = socket.create_connection(("127.0.0.1", PORT))
        time.sleep(0.001)    # carol and dave send together
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


def handler(c):
    n = c.recv(4096)         # EAGAIN, a watcher, the hub; then the data
    work(100)
    c.sendall(b"y" * 1024)
    c.close()


s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", PORT))
s.listen(128)
os.write(ready_w, b"!")      # (not in the scenario: the clients may start)
hs = []
for _ in range(CLIENTS):
    c, _ = s.accept()        # EAGAIN, then the hub until a client comes
    hs.append(gevent.spawn(handler, c))
gevent.joinall(hs)
os.wait()
