"""pool-apply: Pool(2).apply() twice (scenarios/pool-apply.scn).

apply() is apply_async(...).get(): the caller puts the task on the pool's
task list and waits on the result's Event, so the two tasks run one after
the other although two workers wait.  CPython 3.11, the fork start method.
strace -f shows the pool's machinery: the pipes of the task and result
SimpleQueues, the two workers (clone), the parent's three threads
(clone3), each task written into the task pipe by the task handler (one
write: length and pickle), read by a worker under the queue's SemLock
(read 4, read N), its result written back and read by the result handler.
"""
import multiprocessing as mp
import time


def burn(ms):
    end = time.process_time() + ms / 1000
    while time.process_time() < end:
        pass


def work(x):
    burn(20)
    return x


if __name__ == "__main__":
    pool = mp.get_context("fork").Pool(2)
    t0 = time.perf_counter()
    for i in range(1, 3):
        pool.apply(work, (i,))
    print(f"two apply() calls: {(time.perf_counter() - t0) * 1000:.0f} ms",
          flush=True)
    pool.close()
    pool.join()
