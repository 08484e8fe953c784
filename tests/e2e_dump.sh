#!/bin/sh
# Every bundled scenario: --check, a full --dump, and a JSON export that
# parses and has the fields docs/export-format.md promises.  Under the
# sanitizer build this is the "one full --dump of every scenario" leak check.
set -u
IOSIM=${IOSIM:-./iosim}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
for f in scenarios/*.scn; do
    if ! "$IOSIM" --check "$f" 2>"$tmp/err"; then
        echo "FAIL --check $f: $(cat "$tmp/err")"; fail=1; continue
    fi
    if ! "$IOSIM" --dump "$f" >"$tmp/dump" 2>"$tmp/err" || [ -s "$tmp/err" ]; then
        echo "FAIL --dump $f: $(head -5 "$tmp/err")"; fail=1; continue
    fi
    [ "$(wc -l <"$tmp/dump")" -gt 10 ] || { echo "FAIL --dump $f: too short"; fail=1; }
    "$IOSIM" --export json "$f" >"$tmp/json" 2>"$tmp/err" || { echo "FAIL json $f"; fail=1; continue; }
    python3 - "$tmp/json" "$f" <<'PY' || fail=1
import json, sys
d = json.load(open(sys.argv[1]))
f = sys.argv[2]
for k in ("tasks", "events", "stats", "title", "model"):
    assert k in d, f"{f}: no {k}"
ev = d["events"]
assert ev, f"{f}: no events"
last = -1
for e in ev:
    assert isinstance(e["t_ns"], int) and e["t_ns"] >= last, f"{f}: time goes back at {e['i']}"
    last = e["t_ns"]
    assert "type" in e and "task" in e
    if e["type"] == "syscall":
        assert {"name", "ret", "dur_ns"} <= e.keys(), e
        assert (e["ret"] == -1) == ("errno" in e), e
    if e["type"] == "state":
        assert "state" in e
    if e["type"] == "copy":
        assert e["bytes"] >= 0
names = {t["name"] for t in d["tasks"]}
assert all(e["task"] is None or e["task"] in names for e in ev)
assert d["stats"]["makespan_ns"] == last
PY
    "$IOSIM" --export chrome "$f" >"$tmp/chrome" || { echo "FAIL chrome $f"; fail=1; continue; }
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["traceEvents"]' "$tmp/chrome" || { echo "FAIL chrome json $f"; fail=1; }
done
# the same scenario twice gives the same bytes
"$IOSIM" --export json scenarios/blocking.scn >"$tmp/a"
"$IOSIM" --export json scenarios/blocking.scn >"$tmp/b"
cmp -s "$tmp/a" "$tmp/b" || { echo "FAIL: two runs differ"; fail=1; }
[ $fail -eq 0 ] && echo "dump/export: all scenarios ok"
exit $fail
