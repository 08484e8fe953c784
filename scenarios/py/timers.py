#!/usr/bin/env python3
"""The program scenarios/timers.scn models: waits that give up, and the
kernel's timer as an fd.  Run it under strace to compare:

    strace -f -e trace=epoll_wait,pselect6,poll,timerfd_create,timerfd_settime,read,accept4,connect python3 scenarios/py/timers.py

What differs from the scenario: Python's select.select() builds a new
timeval for every call, so the scenario's select loop, which reuses one
timeout variable the way a C program reuses its struct timeval, is shown
here in C in a comment; Python accepts on the listening socket with
accept4() where the scenario says accept(); select.epoll.poll() passes
maxevents 1023 where the scenario's epoll_wait uses 64; os.timerfd_create()
arrived in Python 3.13, so an older Python calls libc's through ctypes.
The timeouts of step 6 depend on when the client's bytes really arrive
(10, 7, 3 ms on one run here; 10, 7, 4 in the scenario).
"""
import ctypes
import os
import select
import socket
import struct
import threading
import time

PORT = 8080

# 1. epoll_wait with a 10 ms timeout, and nothing arrives: it returns no
#    events (0) after 10 ms, plus the kernel's timer slack (50 us)
r, w = os.pipe()
ep = select.epoll()
ep.register(r, select.EPOLLIN)
ep.poll(0.010)          # epoll_wait(ep, [...], 64, 10) = 0

# 2. timeout 0: a poll, it never sleeps
ep.poll(0)              # epoll_wait(ep, [...], 64, 0) = 0

# 3. select and the time left.  In C:
#        struct timeval tv = {0, 3000};
#        for (int i = 0; i < 3; i++)
#            select(r + 1, &rset, NULL, NULL, &tv);   /* tv is now 0 */
#    Linux writes the time left into tv, so the 2nd and 3rd calls wait 0.
#    Python passes 3 ms every time:
for _ in range(3):
    select.select([r], [], [], 0.003)

# 4. data before the timeout: poll returns as soon as a client connects
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", PORT))
srv.listen()


def client():
    time.sleep(0.005)
    c = socket.create_connection(("127.0.0.1", PORT))
    time.sleep(0.031)   # the scenario's client sends while the loop of
    c.send(b"x" * 100)  # step 6 waits for its own timer
    time.sleep(0.003)
    c.send(b"x" * 100)
    time.sleep(0.1)
    c.close()


threading.Thread(target=client).start()
p = select.poll()
p.register(srv, select.POLLIN)
p.poll(20)              # poll([{fd, POLLIN}], 1, 20) = 1 after about 5 ms
conn, _ = srv.accept()

# 5. a timerfd every 5 ms, watched by epoll; a late reader reads a count
if hasattr(os, "timerfd_create"):
    tfd = os.timerfd_create(time.CLOCK_MONOTONIC)
    os.timerfd_settime(tfd, initial=0.005, interval=0.005)
else:
    libc = ctypes.CDLL(None, use_errno=True)
    tfd = libc.timerfd_create(time.CLOCK_MONOTONIC, 0)
    spec = struct.pack("qqqq", 0, 5000000, 0, 5000000)  # interval, value
    libc.timerfd_settime(tfd, 0, ctypes.c_char_p(spec), None)
ep.register(tfd, select.EPOLLIN)
for _ in range(3):
    ep.poll()           # epoll_wait(ep, [...], -1): the timer expired
    (count,) = struct.unpack("Q", os.read(tfd, 8))   # 1
end = time.monotonic() + 0.012
while time.monotonic() < end:   # 12 ms of work: two expirations go unread
    pass
(count,) = struct.unpack("Q", os.read(tfd, 8))
print("expirations counted while busy:", count)    # 2

# 6. the loop's own timer: each wait gets the time left to the deadline
ep.unregister(tfd)
os.close(tfd)
ep.register(conn, select.EPOLLIN)
deadline = time.monotonic() + 0.010     # clock_gettime: the vDSO, no syscall
while True:
    left = deadline - time.monotonic()
    if left <= 0:
        break                            # the timer is due: run its callback
    for fd, _ in ep.poll(left):          # epoll_wait(..., ceil(left in ms))
        conn.recv(4096)
conn.close()
