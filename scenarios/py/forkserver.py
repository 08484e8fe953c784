"""forkserver: a server process forks the children (scenarios/forkserver.scn).

    python3 forkserver.py
    strace -f -tt -T python3 forkserver.py

The first start() with the forkserver start method starts the resource
tracker and the fork server, each a fresh python3 (vfork, execve); every
start() then connects to the server's unix socket and sends it four fds
with SCM_RIGHTS (sendmsg); the server forks the child and writes its pid,
and later its exit code, to a pipe the parent reads.  The children are the
server's, not the parent's.  In CPython 3.11 the server never imports the
main module (the main_path it would pass is never set, gh-126631), so each
child imports it again as __mp_main__ and runs its top-level code, as a
spawned child does.  Modelled: CPython 3.11.  (3.14 made forkserver the
default on Linux and adds an authentication handshake on the socket.)
"""
import multiprocessing as mp
import os
import time


def burn(ms):
    end = time.process_time() + ms / 1000
    while time.process_time() < end:
        pass


def target():
    burn(3)


burn(1)  # top-level code: imports and definitions
if __name__ == "__mp_main__":
    print("top-level code again, in", os.getpid(), "(parent", os.getppid(),
          ") as", __name__, flush=True)

if __name__ == "__main__":
    mp.set_start_method("forkserver")
    a = mp.Process(target=target)
    a.start()
    b = mp.Process(target=target)
    b.start()
    a.join()
    b.join()
    print("app", os.getpid(), ": kid", a.pid, "exited with", a.exitcode,
          ", kid2", b.pid, "with", b.exitcode, flush=True)
