#!/usr/bin/env bash
# Installs Crossbar.io (and Autobahn|Python) into a virtualenv for the integration tests.
#
#   scripts/crossbar-venv.sh            # install if needed, print the venv path as the last line
#
# The venv lives at ${WAMP_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/wamp-rs/venv-crossbar-26.10.1}.
# The packages are pinned by tests/support/crossbar-requirements.txt. Idempotent: a marker file
# holding the requirements' checksum is written last, so an interrupted install (or a changed
# requirements file) is redone from scratch on the next run. Concurrent runs (several test
# binaries starting at once) are serialized with flock, so only one of them installs.
#
# Needs: python3 with the venv module (Debian/Ubuntu: apt-get install python3-venv), pip access
# to PyPI, flock (util-linux). Set WAMP_PYTHON to choose the interpreter (default: python3).
# Everything but the venv path goes to stderr; stdout carries only the path.
set -euo pipefail

CROSSBAR_VERSION=26.10.1
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
requirements="$repo/tests/support/crossbar-requirements.txt"
venv="${WAMP_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/wamp-rs/venv-crossbar-$CROSSBAR_VERSION}"
python="${WAMP_PYTHON:-python3}"
marker="$venv/.wamp-rs-installed"
lock_wait_secs=900

fail() {
    echo "crossbar-venv.sh: error: $*" >&2
    exit 1
}

[ -f "$requirements" ] || fail "requirements file not found: $requirements"
command -v sha256sum >/dev/null 2>&1 || fail "sha256sum not found (coreutils)"
want="$(sha256sum "$requirements" | cut -d' ' -f1)"

installed() {
    [ -f "$marker" ] && [ "$(cat "$marker")" = "$want" ] && [ -x "$venv/bin/crossbar" ]
}

# Fast path: complete install, no lock needed (the marker is written atomically, last).
if installed; then
    echo "$venv"
    exit 0
fi

command -v flock >/dev/null 2>&1 || fail "flock not found (util-linux)"
command -v "$python" >/dev/null 2>&1 ||
    fail "'$python' not found: the integration tests need Python 3 with pip and access to PyPI"

mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
if ! flock -w "$lock_wait_secs" 9; then
    fail "timed out after ${lock_wait_secs}s waiting for $venv.lock (another install running?)"
fi

# Someone else may have finished while we waited for the lock.
if installed; then
    echo "$venv"
    exit 0
fi

if [ -e "$venv" ]; then
    # Only ever delete something that is recognizably a virtualenv (WAMP_VENV could point anywhere).
    if [ -f "$venv/pyvenv.cfg" ]; then
        echo "crossbar-venv.sh: removing incomplete or outdated virtualenv $venv" >&2
        rm -rf "$venv"
    elif [ -d "$venv" ] && [ -z "$(ls -A "$venv")" ]; then
        rmdir "$venv"
    else
        fail "$venv exists and is not a virtualenv; remove it or set WAMP_VENV to another path"
    fi
fi

echo "crossbar-venv.sh: creating virtualenv $venv with $("$python" --version 2>&1)" >&2
if ! "$python" -m venv "$venv" >&2; then
    rm -rf "$venv"
    fail "'$python -m venv' failed (Debian/Ubuntu: apt-get install python3-venv)"
fi

echo "crossbar-venv.sh: installing Crossbar.io $CROSSBAR_VERSION from $requirements (takes about 2 minutes)" >&2
start=$(date +%s)
if ! "$venv/bin/python" -m pip install --no-input --disable-pip-version-check \
    -r "$requirements" >&2; then
    fail "pip install -r $requirements failed (see pip's output above); needs access to PyPI"
fi
if ! "$venv/bin/crossbar" version >/dev/null 2>&1; then
    "$venv/bin/crossbar" version >&2 || true
    fail "crossbar was installed but does not run (see output above)"
fi

echo "$want" >"$marker.tmp"
mv "$marker.tmp" "$marker"
echo "crossbar-venv.sh: done in $(($(date +%s) - start))s" >&2
echo "$venv"
