#!/bin/sh
# Install what `make test` needs, from Debian's packages.
# As root it installs what is missing; otherwise it prints the apt-get line
# and stops, so that nothing is half-tested.
set -u
PKGS="gcc make pkg-config libncurses-dev libcmocka-dev tmux python3 procps strace"
# a server nobody wrote for the tests, traced by tests/e2e_strace.sh; the
# test is skipped when it cannot be installed.  SimPy 2 for make bench's
# engine.vs_simpy (bench/simpy_epoll.py), which says "not measured"
# without it.  gevent for tests/e2e_gevent.sh (the Python programs of
# gevent.scn and gevent-blocking.scn under strace), skipped without it
OPTIONAL="nginx-light python3-simpy python3-gevent"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
        missing="$missing $p"
done
want_optional=""
for p in $OPTIONAL; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
        want_optional="$want_optional $p"
done
# Installed without starting its service (policy-rc.d answers 101 "not
# allowed"), so that the tests leave no daemon behind.
install_optional() {
    [ -z "$want_optional" ] && return 0
    [ "$(id -u)" -eq 0 ] || return 0
    own=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d &&
            chmod 755 /usr/sbin/policy-rc.d && own=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q $want_optional \
        >/dev/null 2>&1 ||
        { apt-get update -q >/dev/null 2>&1 &&
          DEBIAN_FRONTEND=noninteractive apt-get install -y -q $want_optional \
              >/dev/null 2>&1; } ||
        echo "could not install$want_optional: its test is skipped"
    [ -n "$own" ] && rm -f /usr/sbin/policy-rc.d
    return 0
}
if [ -z "$missing" ]; then
    install_optional
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "make test needs these Debian packages:$missing" >&2
    echo "install them with:  sudo apt-get install -y$missing" >&2
    exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null || { echo "apt-get update failed" >&2; exit 1; }
apt-get install -y -q $missing >/dev/null || {
    echo "apt-get install$missing failed" >&2; exit 1; }
install_optional
