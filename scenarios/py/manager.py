"""manager: two processes share a dict through a multiprocessing.Manager
(scenarios/manager.scn).

Manager() forks a server process (SyncManager). It listens on an AF_UNIX
socket (/tmp/pymp-XXXXXXXX/listener-XXXXXXXX) and sends that address back
through a pipe. The dict lives in the server's memory only: m.dict()
returns a proxy, and every d[key] = value or d[key] is a request sent to
the server and a reply read back, over the proxy's connection (one per
thread, made on first use: socket, connect, then the authentication
handshake both ways, '#CHALLENGE#', an HMAC digest, '#WELCOME#', and an
accept_connection request). Leaving the with block sends 'shutdown'.
Check it with:
  strace -f -e trace=socket,connect,accept4,bind,listen,read,write,clone,clone3 \\
      python3 scenarios/py/manager.py
(CPython 3.11. 3.12 to 3.14 send '{sha256}' and 40 random bytes in the
challenge and a SHA-256 digest, not HMAC-MD5's 16 bytes.)
"""
import multiprocessing as mp


def worker(d, name, n):
    x = 0
    for i in range(20_000):         # about 1 ms of Python code
        x += i
    d[name] = n * n                 # a __setitem__ request and its reply


if __name__ == "__main__":
    mp.set_start_method("fork")
    with mp.Manager() as m:
        d = m.dict()                # a 'create' request on a connection of its own
        ps = [mp.Process(target=worker, args=(d, name, n))
              for name, n in (("A", 3), ("B", 4))]
        for p in ps:
            p.start()
        for p in ps:
            p.join()
        print(d["A"], d["B"])       # two __getitem__ requests
