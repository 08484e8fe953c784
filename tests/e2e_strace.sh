#!/bin/sh
# iosim --strace on logs recorded here and now: a forking server, a threaded
# server, a Python selectors server and a Python asyncio server (each with
# its own clients, on loopback), under strace -f -tt -T, -ttt -yy, -r and
# -ff; then nginx from Debian with two workers, when it is installed.  For
# every log, the calls per syscall name, the errnos per name and the set of
# tasks are read from the log by a separate reader (below, in Python) and
# must match what iosim exports; no line may go not understood.  Also the
# command line's errors.  Skipped (77) without strace or ptrace.
set -u
IOSIM=${IOSIM:-./iosim}
case "$IOSIM" in /*) ;; *) IOSIM="$PWD/$IOSIM" ;; esac
command -v strace >/dev/null 2>&1 || { echo "strace not installed: skipped"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "python3 not installed: skipped"; exit 77; }
strace -f -o /dev/null true 2>/dev/null || { echo "ptrace not permitted here: skipped"; exit 77; }
tmp=$(mktemp -d)
pids=""
cleanup() {
    for p in $pids; do kill -9 "$p" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
fail=0
bad() { echo "FAIL: $*"; fail=1; }
CC=${CC:-cc}

# ---- the programs ---------------------------------------------------------
cat >"$tmp/fork_server.c" <<'EOF'
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void)
{
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t n = sizeof a;
    if (l < 0 || bind(l, (void *)&a, sizeof a) || listen(l, 16) ||
        getsockname(l, (void *)&a, &n))
        return 1;
    if (fork() == 0) { /* the clients */
        for (int i = 0; i < 3; i++) {
            int s = socket(AF_INET, SOCK_STREAM, 0);
            char b[16];
            if (connect(s, (void *)&a, sizeof a) == 0 && write(s, "ping", 4) == 4)
                (void)!read(s, b, sizeof b);
            close(s);
        }
        _exit(0);
    }
    for (int i = 0; i < 3; i++) {
        int c = accept(l, NULL, NULL);
        if (c < 0)
            return 1;
        if (fork() == 0) {
            char b[16];
            ssize_t k = read(c, b, sizeof b);
            if (k > 0)
                (void)!write(c, b, (size_t)k);
            _exit(0);
        }
        close(c);
    }
    while (wait(NULL) > 0)
        ;
    return 0;
}
EOF
cat >"$tmp/thread_server.c" <<'EOF'
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>
static struct sockaddr_in a = {.sin_family = AF_INET};
static void *client(void *x)
{
    (void)x;
    for (int i = 0; i < 3; i++) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        char b[16];
        if (connect(s, (void *)&a, sizeof a) == 0 && send(s, "ping", 4, 0) == 4)
            (void)!recv(s, b, sizeof b, 0);
        close(s);
    }
    return NULL;
}
static void *serve(void *x)
{
    int c = (int)(long)x;
    char b[16];
    ssize_t k = recv(c, b, sizeof b, 0);
    if (k > 0)
        (void)!send(c, b, (size_t)k, 0);
    close(c);
    return NULL;
}
int main(void)
{
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int l = socket(AF_INET, SOCK_STREAM, 0);
    socklen_t n = sizeof a;
    if (l < 0 || bind(l, (void *)&a, sizeof a) || listen(l, 16) ||
        getsockname(l, (void *)&a, &n))
        return 1;
    pthread_t cl, w[3];
    pthread_create(&cl, NULL, client, NULL);
    for (int i = 0; i < 3; i++)
        pthread_create(&w[i], NULL, serve, (void *)(long)accept(l, NULL, NULL));
    for (int i = 0; i < 3; i++)
        pthread_join(w[i], NULL);
    pthread_join(cl, NULL);
    return 0;
}
EOF
cat >"$tmp/selectors_server.py" <<'EOF'
import selectors, socket, threading
sel = selectors.DefaultSelector()
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(); l.setblocking(False)
port = l.getsockname()[1]
sel.register(l, selectors.EVENT_READ)
def clients():
    for i in range(3):
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(b"ping"); s.recv(16)
threading.Thread(target=clients).start()
done = 0
while done < 3:
    for key, _ in sel.select(5):
        if key.fileobj is l:
            try:
                c, _ = l.accept()
            except BlockingIOError:
                continue
            c.setblocking(False); sel.register(c, selectors.EVENT_READ)
        else:
            c = key.fileobj
            try:
                d = c.recv(16)
            except BlockingIOError:
                continue
            if d: c.send(d)
            sel.unregister(c); c.close(); done += 1
EOF
cat >"$tmp/asyncio_server.py" <<'EOF'
import asyncio
async def handle(r, w):
    d = await r.read(16); w.write(d); await w.drain(); w.close()
async def main():
    s = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = s.sockets[0].getsockname()[1]
    for i in range(3):
        r, w = await asyncio.open_connection("127.0.0.1", port)
        w.write(b"ping"); await w.drain(); await r.read(16); w.close()
    s.close(); await s.wait_closed()
asyncio.run(main())
EOF
$CC -O1 -o "$tmp/fork_server" "$tmp/fork_server.c" || bad "cannot build fork_server"
$CC -O1 -pthread -o "$tmp/thread_server" "$tmp/thread_server.c" || bad "cannot build thread_server"

# ---- the independent reader -----------------------------------------------
# Counts, from the log alone, each call once (a complete line, or the first
# half of an unfinished one), the errnos per name (on the line that has the
# result) and the pids; then compares with iosim's JSON export.
cat >"$tmp/check.py" <<'EOF'
import json, os, re, sys
logs, js = sys.argv[1:-1], sys.argv[-1]
calls, errs, pids = {}, {}, set()
head = re.compile(r'^(?:\[pid\s+(\d+)\] |(\d+) +)?(?:[0-9:.]+ +)?(.*)$')
for path in logs:
    m = re.search(r'\.(\d+)$', path)
    fpid = int(m.group(1)) if m else 0
    lines = open(path, errors="replace").read().split("\n")
    for i, line in enumerate(lines):
        if not line.strip() or line.startswith("strace: "):
            continue
        m = head.match(line)
        pid = int(m.group(1) or m.group(2) or fpid)
        body = m.group(3)
        r = re.match(r'<\.\.\. (\w+) resumed>', body)
        if r:
            name, tail = r.group(1), body
        elif re.match(r'\w+\(', body):
            name = body[:body.index("(")]
            calls[name] = calls.get(name, 0) + 1
            if body.endswith("<unfinished ...>"):
                pids.add(pid)
                continue
            tail = body
        elif body.startswith("+++ ") or body.startswith("--- "):
            pids.add(pid)
            continue
        else:
            print("reader: line %d not understood: %s" % (i + 1, line))
            continue
        pids.add(pid)
        e = re.search(r'\) += (?:-1|\?) (E[A-Z0-9_]+) ', tail + " ")
        if e:
            errs[(name, e.group(1))] = errs.get((name, e.group(1)), 0) + 1
doc = json.load(open(js))
gcalls, gerrs = {}, {}
for ev in doc["events"]:
    if ev["type"] == "syscall_enter":
        gcalls[ev["name"]] = gcalls.get(ev["name"], 0) + 1
    elif ev["type"] == "syscall" and "errno" in ev:
        k = (ev["name"], ev["errno"])
        gerrs[k] = gerrs.get(k, 0) + 1
gpids = set(int(re.search(r'(\d+)\]?$', t["name"]).group(1)) for t in doc["tasks"])
ok = True
for what, a, b in (("calls", calls, gcalls), ("errnos", errs, gerrs)):
    for k in sorted(set(a) | set(b), key=str):
        if a.get(k, 0) != b.get(k, 0):
            print("%s %s: the log has %d, iosim %d" % (what, k, a.get(k, 0), b.get(k, 0)))
            ok = False
if pids != gpids:
    print("tasks: the log has %s, iosim %s" % (sorted(pids - gpids), sorted(gpids - pids)))
    ok = False
print("%s: %d calls, %d names, %d errnos, %d tasks" % (os.path.basename(logs[0]),
      sum(calls.values()), len(calls), sum(errs.values()), len(pids)))
sys.exit(0 if ok else 1)
EOF

# check WHAT LOG [FILES...]: import LOG, export, compare with what the
# reader finds in FILES (LOG itself if none), and nothing not understood
check() {
    what=$1; shift
    log=$1
    [ $# -gt 1 ] && shift
    if ! "$IOSIM" --strace "$log" --export json >"$tmp/out.json" 2>"$tmp/err"; then
        bad "$what: iosim --strace failed: $(cat "$tmp/err")"
        return
    fi
    grep -q "not understood" "$tmp/err" && bad "$what: $(cat "$tmp/err")"
    python3 "$tmp/check.py" "$@" "$tmp/out.json" >"$tmp/cmp" 2>&1 ||
        bad "$what: $(cat "$tmp/cmp")"
    echo "  $what: $(tail -1 "$tmp/cmp")"
    "$IOSIM" --strace "$log" --dump >"$tmp/dump" 2>/dev/null || bad "$what: --dump failed"
    "$IOSIM" --strace "$log" --stats >"$tmp/stats" 2>/dev/null || bad "$what: --stats failed"
    grep -q '^syscalls_total [1-9]' "$tmp/stats" || bad "$what: --stats has no syscalls"
    "$IOSIM" --strace "$log" --screen 80x24@40 >"$tmp/screen" 2>/dev/null || bad "$what: --screen failed"
}

record() { # NAME STRACE-OPTIONS... -- PROGRAM...
    name=$1; shift
    timeout 30 strace "$@" >/dev/null 2>"$tmp/$name.strace-err" ||
        bad "$name: the program or strace failed: $(tail -3 "$tmp/$name.strace-err")"
}

for prog in fork_server thread_server; do
    [ -x "$tmp/$prog" ] || continue
    record "$prog" -f -tt -T -o "$tmp/$prog.log" "$tmp/$prog"
    check "$prog -f -tt -T" "$tmp/$prog.log"
    record "$prog-yy" -f -ttt -yy -o "$tmp/$prog-yy.log" "$tmp/$prog"
    check "$prog -f -ttt -yy" "$tmp/$prog-yy.log"
done
for prog in selectors_server asyncio_server; do
    record "$prog" -f -tt -T -o "$tmp/$prog.log" python3 "$tmp/$prog.py"
    check "$prog -f -tt -T" "$tmp/$prog.log"
    record "$prog-yy" -f -ttt -yy -s 64 -o "$tmp/$prog-yy.log" python3 "$tmp/$prog.py"
    check "$prog -f -ttt -yy" "$tmp/$prog-yy.log"
done
record fork-r -f -r -T -X verbose -o "$tmp/fork-r.log" "$tmp/fork_server"
check "fork_server -f -r -T -X verbose" "$tmp/fork-r.log"
record fork-ff -ff -tt -o "$tmp/ff" "$tmp/fork_server"
check "fork_server -ff" "$tmp/ff" "$tmp"/ff.*
# a log cut in the middle of a line still imports
head -c 3000 "$tmp/fork_server.log" >"$tmp/cut.log"
"$IOSIM" --strace "$tmp/cut.log" --dump >/dev/null 2>"$tmp/err" || bad "a cut log: $(cat "$tmp/err")"

# ---- a program nobody wrote for these tests: nginx --------------------------
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [ -x "$NGINX" ]; then
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    mkdir -p "$tmp/ng/logs"
    echo hello >"$tmp/ng/index.html"
    cat >"$tmp/ng/nginx.conf" <<EOF
worker_processes 2;
error_log $tmp/ng/logs/error.log;
pid $tmp/ng/nginx.pid;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $tmp/ng/body;
    proxy_temp_path $tmp/ng/proxy;
    fastcgi_temp_path $tmp/ng/fastcgi;
    uwsgi_temp_path $tmp/ng/uwsgi;
    scgi_temp_path $tmp/ng/scgi;
    server { listen 127.0.0.1:$port; root $tmp/ng; }
}
EOF
    chmod 755 "$tmp" "$tmp/ng"
    chmod 644 "$tmp/ng/index.html"
    timeout 60 strace -f -tt -T -yy -o "$tmp/nginx.log" "$NGINX" -p "$tmp/ng" \
        -e "$tmp/ng/logs/error.log" -c "$tmp/ng/nginx.conf" -g 'daemon off;' \
        2>"$tmp/nginx.err" &
    spid=$!
    pids="$spid"
    if python3 - "$port" <<'EOF'
import socket, sys, time
port = int(sys.argv[1])
for i in range(100):  # up to 10 s for nginx to listen
    try:
        socket.create_connection(("127.0.0.1", port), 0.5).close()
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit(1)
for i in range(5):
    with socket.create_connection(("127.0.0.1", port), 2) as s:
        s.sendall(b"GET /index.html HTTP/1.0\r\nHost: x\r\n\r\n")
        while s.recv(4096):
            pass
EOF
    then
        kill -QUIT "$(cat "$tmp/ng/nginx.pid")" 2>/dev/null
        i=0
        while kill -0 "$spid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
        kill -0 "$spid" 2>/dev/null && bad "nginx did not stop in 10 s"
        wait "$spid" 2>/dev/null
        check "nginx (2 workers) -f -tt -T -yy" "$tmp/nginx.log"
        grep -q 'nginx\[' "$tmp/out.json" || bad "nginx: no task named nginx[PID]"
        n=$(grep -c 'epoll_wait' "$tmp/dump")
        [ "$n" -gt 0 ] || bad "nginx: no epoll_wait in the dump"
    else
        bad "nginx did not answer on 127.0.0.1:$port: $(cat "$tmp/nginx.err" "$tmp/ng/logs/error.log" 2>/dev/null | tail -3)"
    fi
    kill "$spid" 2>/dev/null
    [ -f "$tmp/ng/nginx.pid" ] && kill -9 "$(cat "$tmp/ng/nginx.pid")" 2>/dev/null
    wait 2>/dev/null
    pgrep -f "$tmp/ng/nginx.conf" >/dev/null && bad "an nginx process was left behind"
else
    echo "nginx is not installed (tests/deps.sh installs nginx-light when Debian has it): the nginx log test is skipped"
fi

# ---- the command line -------------------------------------------------------
"$IOSIM" --strace "$tmp/nosuch.log" --dump >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q "nosuch.log: error:" "$tmp/err" || bad "missing log (rc=$rc: $(cat "$tmp/err"))"
printf 'hello\n' >"$tmp/notalog"
"$IOSIM" --strace "$tmp/notalog" --dump >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q "no strace lines" "$tmp/err" || bad "not a log (rc=$rc)"
"$IOSIM" --strace >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q "takes a log" "$tmp/err" || bad "--strace without a log (rc=$rc)"
"$IOSIM" --strace tests/strace/plain.log --model epoll >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] || bad "--strace with --model (rc=$rc)"
"$IOSIM" --strace tests/strace/plain.log </dev/null >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q "needs a terminal" "$tmp/err" || bad "viewer on a pipe (rc=$rc)"

# from a pipe, and from standard input
n=$("$IOSIM" --strace "$tmp/fork_server.log" --dump 2>/dev/null | wc -l)
m=$(cat "$tmp/fork_server.log" | "$IOSIM" --strace - --dump 2>/dev/null | wc -l)
[ "$n" -gt 0 ] && [ "$n" -eq "$m" ] || bad "--strace - reads standard input ($n vs $m lines)"

[ $fail -eq 0 ] && echo "strace import: all logs ok"
exit $fail
