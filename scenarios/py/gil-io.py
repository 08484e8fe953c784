"""gil-io: two I/O-bound threads overlap their waits (scenarios/gil-io.scn).

time.sleep() releases the GIL around clock_nanosleep(), as a blocking
socket recv() does around recvfrom(): strace -f shows both threads'
clock_nanosleep calls overlapping. Each round is some Python code (about
1 ms on a fast CPU) and a 10 ms wait; two threads take far less than twice
the time of one.
"""
import threading
import time

N = 100_000  # about 1 ms of Python code


def fetcher():
    for _ in range(5):
        n = 0
        for i in range(N):
            n += i
        time.sleep(0.010)


if __name__ == "__main__":
    threads = [threading.Thread(target=fetcher) for _ in range(2)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    two = time.perf_counter() - t0
    t0 = time.perf_counter()
    fetcher()
    one = time.perf_counter() - t0
    print(f"one thread: {one * 1000:.0f} ms, two threads: {two * 1000:.0f} ms")
