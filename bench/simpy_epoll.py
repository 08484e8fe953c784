"""The engine benchmark's workload in SimPy 2 (Debian's python3-simpy,
2.3.1), for make bench's engine.vs_simpy.

The same system as bench.c's engine scenario: SERVERS epoll servers on
CPUS CPUs (each a process in a loop of epoll_wait, then read, WORK of CPU,
write for every ready connection, accepting new ones), PEERS clients on
other hosts (connect, then REPEAT times: send 300 bytes, wait for the
reply, sleep THINK), a one-way LATENCY between them.  A CPU is a
Resource: a server that wants to run waits in its queue (ready) and holds
it while it runs (running); a task waiting for data or a timer is
blocked.

It counts what bench.c counts in iosim's timeline: every state change of
a task (ready, running, blocked, exited) and every syscall return, where
the same system makes them.  Prints "counted N seconds S" (S: the
process's CPU time making the model and simulating it, as bench.c times
sim_run).

usage: python3 simpy_epoll.py PEERS SERVERS CPUS REPEAT
"""
import sys
import time

from SimPy.Simulation import (Process, Resource, Simulation, hold,
                              passivate, release, request)

US = 1000
MS = 1000 * US
SYSCALL = 100          # iosim's cost table: entering and leaving
CTX = 2 * US           # a context switch
EPOLL_BASE = 150
EPOLL_PER_EVENT = 100
COPY_REQ = 30          # 300 bytes at 100 ns a KiB
COPY_REPLY = 200       # 2 KiB
WORK = 5 * US
LATENCY = 100 * US
THINK = 50 * MS


class Counter:
    n = 0


class Server(Process):
    def __init__(self, sim, cpu, count):
        Process.__init__(self, name="server", sim=sim)
        self.cpu = cpu
        self.count = count
        self.ready = []        # the epoll ready list: peers with a request
        self.sleeping = False
        self.peers = []

    def run(self):
        c = self.count
        while True:
            if not self.ready:
                self.sleeping = True
                c.n += 1       # blocked in epoll_wait
                yield passivate, self
            c.n += 1           # woken: ready, in the CPUs' queue
            yield request, self, self.cpu
            c.n += 1           # running
            yield hold, self, CTX
            while self.ready:  # level-triggered: it returns at once
                batch, self.ready = self.ready, []
                yield hold, self, SYSCALL + EPOLL_BASE + EPOLL_PER_EVENT * len(batch)
                c.n += 1       # epoll_wait returns
                for peer in batch:
                    if peer.connecting:  # accept, epoll_ctl, accept: EAGAIN
                        yield hold, self, 3 * SYSCALL + 1 * US
                        c.n += 3
                        peer.connecting = False
                    else:      # read, compute, write
                        yield hold, self, (SYSCALL + COPY_REQ + WORK +
                                           SYSCALL + COPY_REPLY)
                        c.n += 2
                    peer.deliver(LATENCY)
            yield release, self, self.cpu


class Wire(Process):
    """Bytes on their way: after the latency they land, and wake a task."""

    def __init__(self, sim, to, server):
        Process.__init__(self, name="wire", sim=sim)
        self.to = to
        self.server = server

    def run(self, delay):
        yield hold, self, delay
        if self.server is not None:
            s = self.server
            s.ready.append(self.to)
            if s.sleeping:
                s.sleeping = False
                s.sim.reactivate(s)
        else:
            self.to.sim.reactivate(self.to)


class Peer(Process):
    def __init__(self, sim, server, count, repeat):
        Process.__init__(self, name="peer", sim=sim)
        self.server = server
        self.count = count
        self.repeat = repeat
        self.connecting = True

    def deliver(self, delay):
        w = Wire(self.sim, self, None)
        self.sim.activate(w, w.run(delay))

    def send(self):
        w = Wire(self.sim, self, self.server)
        self.sim.activate(w, w.run(LATENCY))

    def run(self):
        c = self.count
        c.n += 1               # running (a peer has no CPU to wait for)
        self.send()            # the SYN
        c.n += 1               # blocked in connect
        yield passivate, self
        c.n += 2               # running, connect returns
        for _ in range(self.repeat):
            self.send()
            c.n += 1           # send returns
            c.n += 1           # blocked in recv
            yield passivate, self
            c.n += 2           # running, recv returns
            c.n += 1           # blocked in the sleep
            yield hold, self, THINK
            c.n += 2           # running, the sleep returns
        c.n += 2               # close returns, exited


def main():
    peers, servers, cpus, repeat = (int(a) for a in sys.argv[1:5])
    t0 = time.process_time()  # making the tasks counts, as in sim_run
    sim = Simulation()
    sim.initialize()
    cpu = Resource(capacity=cpus, sim=sim)
    count = Counter()
    srv = []
    for _ in range(servers):
        s = Server(sim, cpu, count)
        sim.activate(s, s.run())
        srv.append(s)
    for i in range(peers):
        p = Peer(sim, srv[i % servers], count, repeat)
        # bench.c: group k (server k) starts at 1 ms, one peer every
        # 4 us times the number of servers
        sim.activate(p, p.run(), at=1 * MS + (i // servers) * 4 * servers * US)
    sim.simulate(until=3600 * 1000 * MS)
    t1 = time.process_time()
    print("counted %d seconds %.6f" % (count.n, t1 - t0))


if __name__ == "__main__":
    main()
