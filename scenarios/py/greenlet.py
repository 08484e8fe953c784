#!/usr/bin/env python3
"""The program scenarios/greenlet.scn models: greenlets switched by hand.
Needs greenlet (Debian: python3-greenlet; run with /usr/bin/python3).

    strace -f /usr/bin/python3 scenarios/py/greenlet.py

shows no syscall for any switch: only the prints' write(1, ...), which the
scenario leaves out, and, in CPython 3.11 and later, one
mmap(NULL, 16384, ...) as each new greenlet first runs and a munmap as it
ends: the 16 KiB chunk of the interpreter's data stack that holds its
frames (Python/pystate.c, DATA_STACK_CHUNK_SIZE; greenlet gives each
greenlet its own).  What differs: greenlet passes the first switch's
arguments to run(); iosim's coroutine block takes none, so ping's first
value comes with its first switch back (x below).
"""
import sys
import time

sys.path.pop(0)              # this file's folder: its name hides the module
from greenlet import getcurrent, greenlet  # noqa: E402


def work(us):
    t = time.perf_counter() + us / 1e6
    while time.perf_counter() < t:
        pass


def ping():
    x = main.switch(1)       # back to the parent, which gets 1
    work(10)
    y = pong_g.switch(x)     # on to pong, with what main sent (2)
    print("ping got", y)     # 5, from pong
    # returning: control goes to the parent, main


def pong(v):
    z = ping_g.switch(5)     # to ping, which gets 5
    print("pong resumed with", z)


main = getcurrent()
ping_g = greenlet(ping)      # parent: the greenlet that made it, main
pong_g = greenlet(pong)
v = ping_g.switch()          # ping runs until its first switch: v = 1
print("main got", v)
w = ping_g.switch(2)         # ping goes on, switches to pong, ends: w = None
print("ping returned", w)
u = ping_g.switch(9)         # ping is dead: the switch goes to its parent
print("switch to a dead greenlet gave", u)   # main itself: 9 comes back
pong_g.switch(4)             # pong's pending switch gets 4, pong ends
