#!/usr/bin/env python3
"""The program scenarios/generator.scn models: a generator runs nothing
until next(); each next() runs it to its next yield; send() hands a value
to the pending yield; at the end, StopIteration.  No line of it makes a
syscall: run it under `strace -f python3 scenarios/py/generator.py` and
the only calls after start-up are the prints' write(1, ...) (the scenario
leaves them out).
"""
import time


def counter():
    i = 0
    for _ in range(3):
        i += 1
        x = yield i          # hands i to next(), gets send()'s value
        if x is not None:
            print("counter got", x)
        t = time.perf_counter() + 0.0001   # 100 us of work
        while time.perf_counter() < t:
            pass


g = counter()                # made: runs nothing (gi_frame.f_lasti == -1)
t = time.perf_counter() + 0.0005         # 500 us of other work first
while time.perf_counter() < t:
    pass
print(next(g))               # 1
print(g.send(7))             # 2: the pending yield returns 7
print(next(g))               # 3
try:
    next(g)                  # the loop ends: StopIteration
except StopIteration:
    print("StopIteration")
