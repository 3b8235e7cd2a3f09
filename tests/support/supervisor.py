"""Runs one Crossbar.io node for the Rust test harness and guarantees it goes away.

    python -c <this file> <workdir> <remove|keep> <crossbar command...>

The node runs in a session (and process group) of its own. Commands arrive on stdin, one a
line: `kill` (SIGKILL the node's process group), `stop` (SIGTERM, up to 15 s for a graceful
exit, then SIGKILL). End of file on stdin, which is what happens when the test process exits
for any reason (the harness holds the pipe's other end and never shares it), kills the node and,
with `remove`, deletes <workdir>. Every process of the node's group is killed and reaped before
this script exits, so when it is gone, so is Crossbar.io. If the node exits by itself, its
leftovers are killed too and this script exits with status 3.
"""

import os
import select
import shutil
import signal
import subprocess
import sys
import time

workdir, disposal, command = sys.argv[1], sys.argv[2], sys.argv[3:]

# Ctrl-C in a terminal reaches the whole foreground process group: ignore it here, and clean
# up once the test process is gone (stdin closes). SIGTERM or SIGHUP count as end of file.
signal.signal(signal.SIGINT, signal.SIG_IGN)
terminated = []
signal.signal(signal.SIGTERM, lambda *_: terminated.append(True))
signal.signal(signal.SIGHUP, lambda *_: terminated.append(True))

# Orphans of the node (a worker whose controller died) become our children, so we can reap them.
try:
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
except Exception:  # noqa: BLE001 - best effort; the process group kill still applies
    pass

node = subprocess.Popen(command, cwd=workdir, stdin=subprocess.DEVNULL, start_new_session=True)
with open(os.path.join(workdir, "crossbar.pid.tmp"), "w") as f:
    f.write(str(node.pid))
os.replace(os.path.join(workdir, "crossbar.pid.tmp"), os.path.join(workdir, "crossbar.pid"))


def node_exited():
    """True once the node's main process has exited; does not reap it (its pid stays ours)."""
    try:
        return os.waitid(os.P_PID, node.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def kill_group(sig):
    try:
        os.killpg(node.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


how = "eof"
pending = b""
while how == "eof":
    if terminated:
        break
    if node_exited():
        how = "exited"
        break
    try:
        ready, _, _ = select.select([0], [], [], 0.2)
    except InterruptedError:
        continue
    if not ready:
        continue
    data = os.read(0, 1024)
    if not data:
        break
    pending += data
    while b"\n" in pending:
        line, pending = pending.split(b"\n", 1)
        word = line.strip().decode(errors="replace")
        if word in ("kill", "stop"):
            how = word
            break

if how == "stop":
    kill_group(signal.SIGTERM)
    deadline = time.monotonic() + 15
    while not node_exited() and time.monotonic() < deadline:
        time.sleep(0.05)

# Whatever happened, nothing of the node survives: its main process is still unreaped here, so
# the process group id cannot have been reused.
kill_group(signal.SIGKILL)
node.wait()


def kill_children():
    """SIGKILLs our remaining children: orphans of the node adopted as subreaper."""
    me = str(os.getpid())
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == me:  # fields: state, ppid, pgrp, ...
            try:
                os.kill(int(entry), signal.SIGKILL)
            except OSError:
                pass


deadline = time.monotonic() + 10
while time.monotonic() < deadline:
    try:
        pid, _ = os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        break  # no children left
    except InterruptedError:
        continue
    if pid == 0:
        kill_children()
        time.sleep(0.02)

if how == "eof" and disposal == "remove":
    shutil.rmtree(workdir, ignore_errors=True)
sys.exit(3 if how == "exited" else 0)
