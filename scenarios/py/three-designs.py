"""three-designs: the seed's three server designs on one workload
(scenarios/three-designs.scn).

    python3 three-designs.py fork     # a process per request: os.fork()
    python3 three-designs.py thread   # a thread per request
    python3 three-designs.py epoll    # one thread, an event loop (selectors)

80 clients connect 50 us apart (as far as time.sleep allows), each sends
300 bytes and waits for a 1 KiB reply; the server works 30 us a request.
It prints the median and the 99th percentile latency.  strace -f shows
what each design pays per request: clone() (fork), clone3() (a thread),
or nothing but epoll_wait() and epoll_ctl() in one thread.  The fork
server does not reap its children, as the scenario's does not (they stay
zombies until it exits).
"""
import os
import selectors
import socket
import sys
import threading
import time

PORT = 8080
N = 80


def work():
    end = time.perf_counter() + 30e-6
    while time.perf_counter() < end:
        pass


def serve(c):
    if c.recv(4096):
        work()
        c.sendall(b"x" * 1024)
    c.close()


def fork_server(s):
    for _ in range(N):
        c, _ = s.accept()
        if os.fork() == 0:
            serve(c)
            os._exit(0)
        c.close()


def thread_server(s):
    for _ in range(N):
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


def epoll_server(s):
    sel = selectors.DefaultSelector()  # epoll on Linux
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)
    done = 0
    while done < N:
        for key, _ in sel.select():
            if key.fileobj is s:
                while True:
                    try:
                        c, _ = s.accept()
                    except BlockingIOError:
                        break
                    c.setblocking(False)
                    sel.register(c, selectors.EVENT_READ)
            else:
                c = key.fileobj
                sel.unregister(c)
                if c.recv(4096):
                    work()
                    c.send(b"x" * 1024)
                c.close()
                done += 1


def clients(lat):
    def one(i):
        t0 = time.perf_counter()
        c = socket.create_connection(("127.0.0.1", PORT))
        c.sendall(b"r" * 300)
        c.recv(4096)
        lat[i] = time.perf_counter() - t0
        c.close()
    ts = []
    for i in range(N):
        t = threading.Thread(target=one, args=(i,))
        t.start()
        ts.append(t)
        time.sleep(50e-6)
    for t in ts:
        t.join()


if __name__ == "__main__":
    design = sys.argv[1] if len(sys.argv) > 1 else "fork"
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", PORT))
    s.listen(128)
    pid = os.fork()
    if pid == 0:  # the clients, in a process of their own
        s.close()
        lat = [0.0] * N
        clients(lat)
        lat.sort()
        print(f"{design}: p50 {lat[N // 2] * 1e6:.0f} us, "
              f"p99 {lat[N * 99 // 100] * 1e6:.0f} us", flush=True)
        os._exit(0)
    {"fork": fork_server, "thread": thread_server,
     "epoll": epoll_server}[design](s)
    os.waitpid(pid, 0)
