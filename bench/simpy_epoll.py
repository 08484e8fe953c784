"""The engine benchmark's workload in SimPy 2 (Debian's python3-simpy,
2.3.1), for make bench's engine.vs_simpy.

The same system as bench.c's engine scenario, step for step as iosim
runs it: SERVERS epoll servers on CPUS CPUs, each the loop of iosim's
`server { model epoll }` template (epoll_wait with 64 events; for the
listening socket, accept and EPOLL_CTL_ADD until accept says EAGAIN; for
a connection, read, then WORK of CPU and a write of the reply, or close
at end of file), and PEERS clients on other hosts (socket, connect, then
REPEAT times: send 300 bytes, wait for the reply, sleep THINK; then
close and exit), a one-way LATENCY between them.  A connection is made
as TCP makes it: the SYN and its SYN-ACK take a latency each (then
connect returns), the ACK one more (then the connection is in the accept
queue); the client's first request, sent when connect returns, lands at
the same time as the ACK.  A CPU is a Resource: a woken server waits in
its queue (ready), holds it while it runs (running), and gives it back
when epoll_wait finds nothing (blocked).  The costs are iosim's cost
table: a syscall, epoll_wait's base and per-event costs, copies at 100 ns
a KiB, EPOLL_CTL_ADD's microsecond, a context switch.

It counts what bench.c counts in iosim's timeline: every state change
of a task (ready, running, blocked) and every syscall return (exit_group
included), at the moment the same system makes it.  A server's CPU time
over one epoll_wait and the calls it leads to is one hold, and each
reply is put on the wire for the instant its write ends: a SimPy program
need not stop at every call, since no other process looks in between (it
would only make SimPy slower; the counts are the same).

Prints "counted N seconds S": S is the median, over RUNS fresh
simulations, of the process's CPU time making the model and simulating
it (bench.c times sim_run, which makes the tasks too, the same way).

usage: python3 simpy_epoll.py PEERS SERVERS CPUS REPEAT [RUNS]
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
EPOLL_CTL = 1 * US     # EPOLL_CTL_ADD, besides the syscall
MAXEVENTS = 64
COPY_REQ = 30          # 300 bytes at 100 ns a KiB
COPY_REPLY = 200       # 2 KiB
WORK = 5 * US
LATENCY = 100 * US
THINK = 50 * MS
SETUP = 8              # prlimit64, socket, bind, listen, fcntl x2,
                       # epoll_create1, epoll_ctl: the template's start


class Counter:
    n = 0


class Conn:
    """A connection as its server's epoll sees it"""

    def __init__(self, peer):
        self.peer = peer
        self.requests = 0      # requests in the socket's buffer
        self.eof = False
        self.registered = False
        self.in_ready = False


class Server(Process):
    LISTEN = object()          # the listening socket, on the ready list

    def __init__(self, sim, cpu, count):
        Process.__init__(self, name="server", sim=sim)
        self.cpu = cpu
        self.count = count
        self.ready = []        # the epoll ready list: Conns and LISTEN
        self.listen_ready = False
        self.backlog = []      # the accept queue
        self.sleeping = False

    def make_ready(self, what):
        self.ready.append(what)
        if self.sleeping:
            self.sleeping = False
            self.sim.reactivate(self)

    def readable(self, conn):
        """Bytes or a FIN landed on conn"""
        if conn.registered and not conn.in_ready:
            conn.in_ready = True
            self.make_ready(conn)

    def connected(self, conn):
        """The handshake's ACK: conn is in the accept queue"""
        self.backlog.append(conn)
        if not self.listen_ready:
            self.listen_ready = True
            self.make_ready(Server.LISTEN)

    def run(self):
        c = self.count
        c.n += 2               # ready, running: the process starts
        yield request, self, self.cpu
        yield hold, self, CTX + SETUP * SYSCALL + EPOLL_CTL
        c.n += SETUP
        while True:
            if not self.ready:  # epoll_wait sleeps
                c.n += 1       # blocked
                self.sleeping = True
                yield release, self, self.cpu
                yield passivate, self
                c.n += 1       # woken: ready, in the CPUs' queue
                yield request, self, self.cpu
                c.n += 1       # running
                yield hold, self, CTX
            batch, self.ready = self.ready[:MAXEVENTS], self.ready[MAXEVENTS:]
            ns = SYSCALL + EPOLL_BASE + EPOLL_PER_EVENT * len(batch)
            c.n += 1           # epoll_wait returns
            for what in batch:
                if what is Server.LISTEN:
                    self.listen_ready = False
                    while self.backlog:  # accept, EPOLL_CTL_ADD
                        conn = self.backlog.pop(0)
                        ns += SYSCALL + SYSCALL + EPOLL_CTL
                        c.n += 2
                        conn.registered = True
                        if conn.requests or conn.eof:
                            conn.in_ready = True
                            self.ready.append(conn)
                    ns += SYSCALL  # accept: EAGAIN
                    c.n += 1
                    continue
                what.in_ready = False
                if what.requests:  # read, compute, write
                    what.requests -= 1
                    ns += SYSCALL + COPY_REQ + WORK + SYSCALL + COPY_REPLY
                    c.n += 2
                    what.peer.reply(ns)  # it leaves ns from now
                    if what.requests or what.eof:
                        what.in_ready = True
                        self.ready.append(what)
                elif what.eof:  # read returns 0, close
                    ns += 2 * SYSCALL
                    c.n += 2
                    what.registered = False
            if ns:
                yield hold, self, ns


class Wire(Process):
    """Bytes on their way: after the latency they land, and wake a task."""

    def __init__(self, sim):
        Process.__init__(self, name="wire", sim=sim)

    def run(self, delay, land):
        yield hold, self, delay
        land()


class Peer(Process):
    def __init__(self, sim, server, count, repeat):
        Process.__init__(self, name="peer", sim=sim)
        self.server = server
        self.count = count
        self.repeat = repeat
        self.conn = Conn(self)

    def wire_at(self, delay, land):
        w = Wire(self.sim)
        self.sim.activate(w, w.run(delay, land))

    def wire(self, land):
        self.wire_at(LATENCY, land)

    def wake(self):
        self.sim.reactivate(self)

    def reply(self, after):
        self.wire_at(after + LATENCY, self.wake)

    def request(self):
        self.conn.requests += 1
        self.server.readable(self.conn)

    def run(self):
        c = self.count
        srv = self.server
        c.n += 2               # running (a peer needs no CPU), socket returns
        # the SYN, then the SYN-ACK: connect returns; the ACK (and the
        # first request, sent at once) land a latency later
        self.wire_at(3 * LATENCY, lambda: srv.connected(self.conn))
        self.wire_at(2 * LATENCY, self.wake)
        c.n += 1               # blocked in connect
        yield passivate, self
        c.n += 2               # running, connect returns
        for _ in range(self.repeat):
            self.wire(self.request)
            c.n += 1           # send returns
            c.n += 1           # blocked in recv
            yield passivate, self
            c.n += 2           # running, recv returns
            c.n += 1           # blocked in the sleep
            yield hold, self, THINK
            c.n += 2           # running, the sleep returns
        self.wire(self.fin)
        c.n += 2               # close returns, exit_group returns

    def fin(self):
        self.conn.eof = True
        self.server.readable(self.conn)


def simulate(peers, servers, cpus, repeat):
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
    return count.n, time.process_time() - t0


def main():
    peers, servers, cpus, repeat = (int(a) for a in sys.argv[1:5])
    runs = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    res = [simulate(peers, servers, cpus, repeat) for _ in range(runs)]
    secs = sorted(r[1] for r in res)
    print("counted %d seconds %.6f" % (res[0][0], secs[len(secs) // 2]))


if __name__ == "__main__":
    main()
