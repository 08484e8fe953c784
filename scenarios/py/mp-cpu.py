"""mp-cpu: the gil-cpu work in two processes (scenarios/mp-cpu.scn).

Each multiprocessing.Process is a separate interpreter with its own GIL,
so the two compute at once. The scenario models the fork start method
(the default on Linux up to Python 3.13; 3.14 made forkserver the default,
which starts children from a server process instead): strace -f shows a
clone() per child and the parent's wait4() in join().
"""
import multiprocessing as mp
import time

N = 4_000_000


def worker():
    n = 0
    for i in range(N):
        n += i


if __name__ == "__main__":
    ctx = mp.get_context("fork")
    procs = [ctx.Process(target=worker) for _ in range(2)]
    t0 = time.perf_counter()
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    print(f"two processes: {(time.perf_counter() - t0) * 1000:.0f} ms")
