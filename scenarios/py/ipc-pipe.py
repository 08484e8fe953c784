"""ipc-pipe: two processes talk through multiprocessing.Pipe()
(scenarios/ipc-pipe.scn).

Processes share no memory: what the parent wants done it must send. Pipe()
is socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC), one socket per end; each
send() pickles the tuple and writes a 4-byte length and the pickle in one
write(2) (two writes past 16 KiB of pickle); each recv() reads the 4
bytes, then the pickle, so a receiver with nothing sent blocks in read(2).
Check it with:  strace -f -e trace=socketpair,read,write,clone,wait4 \\
                    python3 scenarios/py/ipc-pipe.py
(CPython 3.11; connection.py is the same in 3.12 to 3.14. 3.14 starts
children with forkserver by default: set_start_method('fork') keeps fork.)
"""
import multiprocessing as mp


def worker(conn):
    while True:
        kind, n = conn.recv()       # read(fd, 4), then read(fd, 23)
        if kind == "stop":
            break
        x = 0
        for i in range(20_000):     # about 1 ms of Python code
            x += i
        conn.send(("result", n * n))  # write(fd, 4 + 25 bytes)
    conn.close()


if __name__ == "__main__":
    mp.set_start_method("fork")
    parent_end, child_end = mp.Pipe()
    p = mp.Process(target=worker, args=(child_end,))
    p.start()                       # clone(): the child has both ends
    child_end.close()
    parent_end.send(("task", 3))
    parent_end.send(("task", 4))
    for _ in range(2):
        print(parent_end.recv())
    parent_end.send(("stop", 0))
    p.join()                        # wait4()
