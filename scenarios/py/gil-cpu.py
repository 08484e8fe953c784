"""gil-cpu: two CPU-bound threads under the GIL (scenarios/gil-cpu.scn).

Run it with python3 and compare the time with one thread's: about twice,
however many CPUs there are. strace -f shows the GIL's hand-overs: every
~5 ms a waiter's futex(FUTEX_WAIT_BITSET_PRIVATE, ..., timeout) returns
ETIMEDOUT, then the holder's FUTEX_WAKE hands the GIL over.
"""
import sys
import threading
import time

N = 4_000_000  # about 40 ms of Python code per thread on a recent CPU


def worker():
    n = 0
    for i in range(N):
        n += i


if __name__ == "__main__":
    print("switch interval:", sys.getswitchinterval(), "s")
    t0 = time.perf_counter()
    worker()
    one = time.perf_counter() - t0
    threads = [threading.Thread(target=worker) for _ in range(2)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    two = time.perf_counter() - t0
    print(f"one thread: {one * 1000:.0f} ms, two threads: {two * 1000:.0f} ms "
          f"({two / one:.1f}x)")
