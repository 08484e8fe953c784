#!/bin/sh
# e2e_gevent.sh: the Python programs that gevent.scn and gevent-blocking.scn
# model, run with Debian's gevent under strace -f, make the calls the
# scenarios show: the hub's epoll_create1(EPOLL_CLOEXEC) and eventfd2, every
# socket made non-blocking with ioctl(FIONBIO), a call that would block
# failing with EAGAIN and made again only after the hub's epoll_wait, whose
# timeout with no timer is libev's 59743 ms; and an input() that blocks the
# whole thread.  Skipped when /usr/bin/python3 has no gevent (tests/deps.sh
# installs python3-gevent when it can).
set -u
PY=/usr/bin/python3
B=${B:-build}
IOSIM=${IOSIM:-$B/iosim}
[ -x "$PY" ] && "$PY" -c 'import gevent' 2>/dev/null ||
    { echo "gevent not installed for $PY: skipped"; exit 77; }
command -v strace >/dev/null 2>&1 || { echo "strace not installed: skipped"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "e2e_gevent: $*"; exit 1; }
free_port() {
    "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# ---- gevent.py: one thread, a greenlet per client ---------------------------
PORT=$(free_port) timeout 60 strace -f -tt -T -o "$tmp/g.log" "$PY" scenarios/py/gevent.py \
    >"$tmp/g.out" 2>&1 || fail "gevent.py failed: $(tail -3 "$tmp/g.out")"
"$PY" - "$tmp/g.log" "$IOSIM" <<'PYEOF' || exit 1
import re, subprocess, sys
log, iosim = sys.argv[1], sys.argv[2]
lines = open(log).read().splitlines()
# strace -f: "PID HH:MM:SS.us call(args) = ret <dur>", split calls joined
calls, pend = [], {}
for l in lines:
    m = re.match(r"(\d+) +\S+ (.*)$", l)
    if not m:
        continue
    pid, rest = m.group(1), m.group(2)
    if rest.endswith("<unfinished ...>"):
        pend[pid] = rest[: -len("<unfinished ...>")]
        continue
    r = re.match(r"<\.\.\. \w+ resumed>(.*)$", rest)
    if r:
        rest = pend.pop(pid, "") + r.group(1)
    calls.append((pid, rest))
hub = [p for p, c in calls if c.startswith("eventfd2(")]
if not hub:
    sys.exit("e2e_gevent: no eventfd2 in the trace: no hub?")
srv = hub[0]
mine = [c for p, c in calls if p == srv]
def has(pat):
    return any(re.search(pat, c) for c in mine)
for pat in (r"^epoll_create1\(EPOLL_CLOEXEC\) = \d+",
            r"^eventfd2\(0, EFD_CLOEXEC\|EFD_NONBLOCK\) = \d+",
            r"^(accept4|recvfrom)\(.*= -1 EAGAIN",
            r"^epoll_ctl\(\d+, EPOLL_CTL_ADD, \d+, \{events=EPOLLIN",
            r"^epoll_wait\(\d+, .*, 64, 59743\) = \d+"):
    if not has(pat):
        sys.exit("e2e_gevent: the server made no call like %s" % pat)
# every socket the server makes or accepts is made non-blocking at once
for i, c in enumerate(mine):
    m = re.match(r"^(socket\(AF_INET|accept4\().* = (\d+)", c)
    if m:
        fd = m.group(2)
        nxt = [d for d in mine[i + 1:i + 8]
               if re.match(r"ioctl\(%s, FIONBIO, \[1\]" % fd, d)]
        if not nxt:
            sys.exit("e2e_gevent: fd %s was not made non-blocking: %s" % (fd, c))
# a call that got EAGAIN is made again only after an epoll_wait
for i, c in enumerate(mine):
    m = re.match(r"^(accept4|recvfrom)\((\d+),.* = -1 EAGAIN", c)
    if not m:
        continue
    name, fd = m.group(1), m.group(2)
    waited = False
    for d in mine[i + 1:]:
        if d.startswith("epoll_wait("):
            waited = True
        if d.startswith("%s(%s," % (name, fd)):
            if not waited:
                sys.exit("e2e_gevent: %s(%s) retried without the hub's wait" % (name, fd))
            break
# the calls the simulation shows for the server are calls gevent makes
dump = subprocess.run([iosim, "--dump", "scenarios/gevent.scn"], capture_output=True,
                      text=True, check=True).stdout
sim = set()
for l in dump.splitlines():
    m = re.match(r"\S+ srv\S* +(\w+)\(", l)
    if m:
        sim.add(m.group(1))
real = set(re.match(r"(\w+)\(", c).group(1) for c in mine if re.match(r"\w+\(", c))
real |= {"accept"} if "accept4" in real else set()
missing = sorted(sim - real - {"exit_group"})
if missing:
    sys.exit("e2e_gevent: the simulation shows %s, which gevent's server never made"
             % ", ".join(missing))
print("gevent.py: %d calls of the server; the hub, FIONBIO, EAGAIN then epoll_wait as modelled" % len(mine))
PYEOF

# ---- gevent-blocking.py: input() stops every greenlet -----------------------
# the line is typed 2 s after the server's read(0) has begun, however long
# Python takes to start under strace
( i=0; while [ $i -lt 250 ] && ! grep -q '^[0-9]* *[0-9:.]* read(0, ' "$tmp/b.log" 2>/dev/null; do
      sleep 0.2; i=$((i + 1)); done; sleep 2; echo hello ) | PORT=$(free_port) timeout 60 strace -f -tt -T -o "$tmp/b.log" \
    "$PY" scenarios/py/gevent-blocking.py >"$tmp/b.out" 2>&1 ||
    fail "gevent-blocking.py failed: $(tail -3 "$tmp/b.out")"
"$PY" - "$tmp/b.log" <<'PYEOF' || exit 1
import re, sys
calls, pend = [], {}
for l in open(sys.argv[1]).read().splitlines():
    m = re.match(r"(\d+) +(\d+):(\d+):([\d.]+) (.*)$", l)
    if not m:
        continue
    pid, t, rest = m.group(1), int(m.group(2)) * 3600 + int(m.group(3)) * 60 + float(m.group(4)), m.group(5)
    if rest.endswith("<unfinished ...>"):
        pend[pid] = (t, rest[: -len("<unfinished ...>")])
        continue
    # a call's end is its start plus -T's duration: strace writes a call
    # that no other task interrupted as one line, at its start
    d = re.search(r"<([\d.]+)>$", rest)
    r = re.match(r"<\.\.\. \w+ resumed>(.*)$", rest)
    if r:
        t0, head = pend.pop(pid, (t, ""))
        calls.append((pid, t0, t0 + float(d.group(1)) if d else t, head + r.group(1)))
    else:
        calls.append((pid, t, t + float(d.group(1)) if d else t, rest))
srv = [p for p, a, b, c in calls if c.startswith("eventfd2(")]
if not srv:
    sys.exit("e2e_gevent: no hub in gevent-blocking.py's trace")
mine = [(a, b, c) for p, a, b, c in calls if p == srv[0]]
rd = [(a, b) for a, b, c in mine if re.match(r"read\(0, .*= \d+", c)]
if not rd:
    sys.exit("e2e_gevent: the server never read the terminal")
start, end = rd[0]
if end - start < 1.0:
    sys.exit("e2e_gevent: read(0) did not block (%.3f s)" % (end - start))
inside = [c for a, b, c in mine if start < a < end]
if inside:
    sys.exit("e2e_gevent: the server ran during input(): %s" % inside[0])
print("gevent-blocking.py: read(0) blocked the thread %.1f s, no call of it ran meanwhile" % (end - start))
PYEOF
echo "e2e_gevent: ok"
