"""spawn-main: fork against spawn, and the __name__ guard (scenarios/spawn-main.scn).

    python3 spawn-main.py            # app: a guarded start-up
    SPAWN_MAIN=careless python3 spawn-main.py   # careless: no guard

With the fork start method the child is a copy of the parent and runs its
target at once, with __name__ == "__main__".  With spawn it is a fresh
python3 (vfork, execve) that reads its task from a pipe and imports the
main module again under the name "__mp_main__": the top-level code runs a
second time, and only the guarded part is skipped.  careless starts its
child from top-level code: the child, importing the module, reaches that
start too, and CPython raises RuntimeError ("An attempt has been made to
start a new process before the current process has finished its
bootstrapping phase"); the child exits with 1.  Modelled: CPython 3.11.
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
    print("top-level code again, in", os.getpid(), "as", __name__, flush=True)

if os.environ.get("SPAWN_MAIN") == "careless":  # no __name__ guard
    c = mp.get_context("spawn").Process(target=target)
    c.start()
    c.join()
    print("careless: helper exited with", c.exitcode, flush=True)
elif __name__ == "__main__":
    a = mp.get_context("fork").Process(target=target)
    a.start()
    a.join()
    b = mp.get_context("spawn").Process(target=target)
    b.start()
    b.join()
    print("app: worker exited with", a.exitcode, "worker2 with", b.exitcode,
          flush=True)
