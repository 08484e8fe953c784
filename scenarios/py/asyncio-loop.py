"""The program scenarios/asyncio.scn models: asyncio's selector loop.

Run it under strace (CPython 3.11, Linux):
    strace -f -tt -T python3 scenarios/py/asyncio-loop.py
(Not asyncio.py: a script of that name would be imported as asyncio.)

What strace shows, and the scenario with it:
  epoll_create1(EPOLL_CLOEXEC); socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC)
  for the self-pipe, both ends made non-blocking, the reading end
  registered (epoll_ctl ADD).  epoll_wait's maxevents is the number of
  registered fds (1, then 2 while the reader is registered).
  epoll_wait(..., 0) while callbacks are ready (tick 1, the Task's first
  step); recvfrom -> EAGAIN, epoll_ctl ADD of the socket (add_reader),
  then epoll_wait with the time to tick 2 (ms, rounded up); the thread's
  sendto of 100 bytes wakes it: recvfrom = 100 in the reader callback,
  epoll_wait(..., 0), epoll_ctl DEL (the future's done callback), the
  coroutine's write; the thread's call_soon_threadsafe: sendto(5, "\\0", 1);
  tick 3 runs, then _read_from_self: recvfrom = 1, recvfrom -> EAGAIN;
  the timers tick 2 and loop.stop end the run.
Differences from the scenario:
  - CPython makes the fds non-blocking with ioctl(FIONBIO), the scenario
    with fcntl(F_GETFL/F_SETFL); it opens epoll with EPOLL_CLOEXEC and the
    socketpairs with SOCK_CLOEXEC, the scenario without.
  - The timeout of the first sleeping wait is 45-47 ms for real (Python
    took a few ms to get there), 50 ms in the model, whose Python code
    costs no time; the model has no GIL here (the thread mostly sleeps).
  - The interpreter's start (reading modules, mmap, the signal wake-up fd
    that asyncio.run would add) is left out; the scenario starts at
    new_event_loop().
"""
import asyncio
import os
import socket
import threading
import time


def tick(n):
    os.write(1, b"tick %d\n" % n)


async def reader(loop, sock):
    data = await loop.sock_recv(sock, 4096)   # a coroutine awaiting a read
    os.write(1, b"got %d\n" % len(data))


def other(loop, b):
    time.sleep(0.02)
    b.send(b"x" * 100)                        # the socket becomes readable
    time.sleep(0.01)
    loop.call_soon_threadsafe(tick, 3)        # a callback, and the self-pipe


loop = asyncio.new_event_loop()
a, b = socket.socketpair()
a.setblocking(False)
loop.call_soon(tick, 1)
loop.call_later(0.05, tick, 2)
loop.call_later(0.06, loop.stop)
loop.create_task(reader(loop, a))
threading.Thread(target=other, args=(loop, b)).start()
loop.run_forever()
loop.close()
