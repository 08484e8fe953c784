"""free-threaded: the gil-cpu program for a free-threaded CPython
(scenarios/free-threaded.scn).

Run it with python3.13t (or python3.14t): the two threads take about as
long as one, since there is no GIL. With an ordinary python3 it behaves
like gil-cpu.py.
"""
import sys
import threading
import time

N = 4_000_000


def worker():
    n = 0
    for i in range(N):
        n += i


if __name__ == "__main__":
    gil = getattr(sys, "_is_gil_enabled", lambda: True)()
    print("GIL enabled:", gil)
    threads = [threading.Thread(target=worker) for _ in range(2)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"two threads: {(time.perf_counter() - t0) * 1000:.0f} ms")
