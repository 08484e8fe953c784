"""The program scenarios/event-loop.scn models: an event-driven server.

Every request is an event; the I/O never blocks; the work is done in
callbacks that the loop finds in the selector's registration (its data).
An idle connection is closed by a timer of the loop's own heap, whose
nearest deadline is the wait's timeout.  Three clients, as the scenario's
peers, run in a thread of this process.

Run it under strace:
    strace -f -tt -T python3 scenarios/py/event-loop.py

Differences from the scenario:
  - selectors.EpollSelector opens epoll with EPOLL_CLOEXEC, makes the fds
    non-blocking with ioctl(FIONBIO) (socket.setblocking), uses
    maxevents = the number of registered fds and, on unregister,
    EPOLL_CTL_DEL; the scenario uses fcntl and 64.  accept() is accept4
    with SOCK_CLOEXEC in CPython, and recv/send are recvfrom/sendto where
    the scenario reads and writes.
  - Python's socket server also calls setsockopt(SO_REUSEADDR) here, and
    the clients are threads (they need the GIL, which the server's
    callbacks hold while they run).
  - A real loop would cancel a closed connection's timer; this one, as the
    scenario, lets it fire and meets EBADF (here, KeyError/OSError from
    unregister, caught).
"""
import heapq
import itertools
import selectors
import socket
import threading
import time

sel = selectors.EpollSelector()
timers, seq = [], itertools.count()   # the loop's timer heap


def after(delay, cb, arg):
    heapq.heappush(timers, (time.monotonic() + delay, next(seq), cb, arg))


def on_accept(srv):
    while True:
        try:
            c, _ = srv.accept()
        except BlockingIOError:
            return
        c.setblocking(False)
        sel.register(c, selectors.EVENT_READ, on_readable)
        after(0.030, on_idle, c)


def on_readable(c):
    data = c.recv(4096)
    if data:
        end = time.perf_counter() + 0.0002     # compute 200us
        while time.perf_counter() < end:
            pass
        c.send(b"r" * 1024)
    else:
        sel.unregister(c)
        c.close()


def on_idle(c):
    try:
        sel.unregister(c)
    except (KeyError, ValueError):             # closed already: EBADF
        return
    c.close()


def client(delay, requests):
    time.sleep(delay)
    c = socket.create_connection(("127.0.0.1", 8080))
    for _ in range(requests):
        c.send(b"q" * 200)
        c.recv(4096)
        time.sleep(0.003)
    if requests == 1:
        c.recv(4096)                           # idle until the server closes
    c.close()


srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("0.0.0.0", 8080))
srv.listen()
srv.setblocking(False)
sel.register(srv, selectors.EVENT_READ, on_accept)
for d, n in ((0.001, 2), (0.003, 2), (0.006, 1)):
    threading.Thread(target=client, args=(d, n)).start()
stop = time.monotonic() + 0.060
while time.monotonic() < stop:
    t = max(0.0, timers[0][0] - time.monotonic()) if timers else None
    for key, _ in sel.select(t if t is not None else stop - time.monotonic()):
        key.data(key.fileobj)                  # the callback
    now = time.monotonic()
    while timers and timers[0][0] <= now:
        _, _, cb, arg = heapq.heappop(timers)
        cb(arg)
