#!/bin/sh
# Install what `make test` needs, from Debian's packages.
# As root it installs what is missing; otherwise it prints the apt-get line
# and stops, so that nothing is half-tested.
set -u
PKGS="gcc make pkg-config libncurses-dev libcmocka-dev tmux python3 procps"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0
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
