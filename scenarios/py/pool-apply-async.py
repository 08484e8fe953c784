"""pool-apply-async: Pool(2).apply_async() twice, with a callback
(scenarios/pool-apply-async.scn).

apply_async() returns at once: both tasks go on the task list, both
workers compute at the same time, and each result's callback runs in the
parent process, in the pool's result-handler thread (never in a worker):
the print below shows the parent's pid and the thread's name.  CPython
3.11, the fork start method.
"""
import multiprocessing as mp
import os
import threading
import time


def burn(ms):
    end = time.process_time() + ms / 1000
    while time.process_time() < end:
        pass


def work(x):
    burn(20)
    return x


def done(x):
    print(f"callback({x}) in pid {os.getpid()}, thread "
          f"{threading.current_thread().name}", flush=True)


if __name__ == "__main__":
    print("parent pid", os.getpid(), flush=True)
    pool = mp.get_context("fork").Pool(2)
    t0 = time.perf_counter()
    results = [pool.apply_async(work, (i,), callback=done) for i in range(1, 3)]
    for r in results:
        r.get()
    print(f"two apply_async() calls: {(time.perf_counter() - t0) * 1000:.0f} ms",
          flush=True)
    pool.close()
    pool.join()
