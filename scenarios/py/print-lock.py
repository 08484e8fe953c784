"""print-lock: two processes print two-line records to one terminal,
without and with a multiprocessing.Lock (scenarios/print-lock.scn).

On a terminal, sys.stdout is line-buffered: each print() of a line is one
write(2) when the line ends. One write to a terminal comes out whole (the
kernel holds the tty's atomic_write_lock for all of it: drivers/tty/
tty_io.c, iterate_tty_write), and one write of at most PIPE_BUF (4096)
bytes to a pipe is atomic (pipe(7)): a short single line does not garble.
A record made of several writes does: without the lock the other process's
lines come in between. With the lock (a SemLock: futex on shared memory
when contended), each record's lines stay together.
Run it on a terminal and check it with:
  strace -f -e trace=write,futex python3 scenarios/py/print-lock.py
With PYTHONUNBUFFERED set (python3 -u), print() writes each argument, each
separator and the newline separately (print(a, b) is four writes), and
even one line can garble; into a pipe or a file, stdout is block-buffered
(8 KiB) and each process writes its buffer when full or at exit.
"""
import multiprocessing as mp
import sys


def report(name, lock):
    for i in range(2):
        if lock:
            lock.acquire()
        print(f"{name}: record {i}, line 1 of 2")
        x = 0
        for k in range(200_000):    # about 10 ms to compute the second line
            x += k
        print(f"{name}: record {i}, line 2 of 2")
        if lock:
            lock.release()


def run(lock):
    ps = [mp.Process(target=report, args=(n, lock)) for n in "AB"]
    for p in ps:
        p.start()
    for p in ps:
        p.join()


if __name__ == "__main__":
    mp.set_start_method("fork")
    print("without a lock:")
    sys.stdout.flush()
    run(None)
    print("with multiprocessing.Lock():")
    sys.stdout.flush()
    run(mp.Lock())
