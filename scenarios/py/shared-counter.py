"""shared-counter: a lost update, then the fix (scenarios/shared-counter.scn).

counter += 1 is a load, an add and a store (LOAD_GLOBAL, BINARY_OP,
STORE_GLOBAL): a thread switch between them loses an update. Since
CPython 3.10 the GIL is dropped only at a few points of the bytecode, so
the loss is rare here; it shows readily in the free-threaded build, and
always in C on two CPUs (which is what the scenario models). With the lock
the count is always exact. threading.Lock is a semaphore (sem_wait and
sem_post), where the scenario's C mutex is glibc's lowlevellock: under
strace -f a contended acquire here is futex(FUTEX_WAIT_BITSET_PRIVATE|
FUTEX_CLOCK_REALTIME, 0, NULL), not futex(FUTEX_WAIT_PRIVATE, 2).
"""
import threading

counter = 0
lock = threading.Lock()


def racy(n):
    global counter
    for _ in range(n):
        tmp = counter
        tmp += 1
        counter = tmp


def locked(n):
    global counter
    for _ in range(n):
        with lock:
            counter += 1


if __name__ == "__main__":
    for f in (racy, locked):
        counter = 0
        ts = [threading.Thread(target=f, args=(300_000,)) for _ in range(2)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        print(f"{f.__name__}: {counter} of 600000")
