"""ipc-queue: a multiprocessing.Queue between a parent and two workers
(scenarios/ipc-queue.scn).

Queue() is a pipe2(O_CLOEXEC) and three SemLocks (semaphores in shared
memory: sem_open's openat, write, mmap, link and unlink in /dev/shm, then
unlink at once): _rlock for readers, _wlock for writers, and _sem, the
BoundedSemaphore(maxsize). The first put() of a process starts its feeder
thread (clone3); put() only appends to a buffer and notifies the thread,
which pickles and writes each object under _wlock. get() takes _rlock,
then reads the 4-byte length and the pickle: a worker blocked in read()
holds _rlock, so the other sleeps in futex() on the SemLock.
Check it with:
  strace -f -e trace=pipe2,clone,clone3,futex,read,write,wait4 \\
      python3 scenarios/py/ipc-queue.py
(CPython 3.11; queues.py is the same in 3.12 to 3.14, which start children
with forkserver by default on Linux from 3.14: set_start_method('fork').)
"""
import multiprocessing as mp
import time


def worker(q):
    while True:
        kind, n = q.get()
        if kind == "stop":
            break
        x = 0
        for i in range(40_000):     # about 2 ms of Python code
            x += i


if __name__ == "__main__":
    mp.set_start_method("fork")
    q = mp.Queue()
    workers = [mp.Process(target=worker, args=(q,)) for _ in range(2)]
    for w in workers:
        w.start()
    time.sleep(0.001)               # no feeder thread yet
    for n in (1, 2, 3):
        q.put(("task", n))          # the first put starts the feeder
    for w in workers:
        q.put(("stop", 0))
    for w in workers:
        w.join()
