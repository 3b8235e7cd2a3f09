"""Plumbing shared by the Autobahn|Python peers of Autobahn's WAMP example suite.

Each example has a backend (`<stem>_backend.py`) and a frontend (`<stem>_frontend.py`); the
lines they print, and what goes over the wire, are specified in EXAMPLES.md next to this file,
so that the Rust ports of the same examples can be mixed with these peers in either direction.

Conventions (see EXAMPLES.md, "Conventions"):

- router URL from $AUTOBAHN_DEMO_ROUTER (default ws://127.0.0.1:8080/ws), realm crossbardemo;
- a backend prints `backend ready` once its registrations and subscriptions are in place and
  then runs until it is killed (or its connection to the router is lost: exit status 1);
- a frontend does its job, leaves and exits with status 0; an unexpected failure exits with 1,
  and a frontend still running after FRONTEND_LIFETIME seconds exits with 2, the reason on
  stderr in both cases;
- with WAMP_PEER_WATCH_STDIN=1 and stdin a pipe, a peer exits (status 3) as soon as stdin
  reaches end of file: the parent test process died;
- values received over the wire are printed with `show`, as compact JSON with sorted keys.
"""

import asyncio
import json
import os
import stat
import sys
import threading

# bjdata (autobahn's optional UBJSON codec) is built against NumPy 1.x and breaks on import
# under NumPy 2; nothing here uses UBJSON, so keep it from loading.
sys.modules.setdefault("bjdata", None)

import txaio  # noqa: E402

txaio.use_asyncio()

from autobahn.asyncio.wamp import ApplicationRunner, ApplicationSession  # noqa: E402
from autobahn.wamp.exception import ApplicationError  # noqa: E402

ROUTER = os.environ.get("AUTOBAHN_DEMO_ROUTER", "ws://127.0.0.1:8080/ws")
REALM = "crossbardemo"

# Upper bound on a frontend's whole life, in seconds.
FRONTEND_LIFETIME = 60.0

_NAME = os.path.basename(sys.argv[0]) or "demo"


def show(value):
    """A value as compact JSON with sorted keys: what serde_json::to_string prints for the
    same serde_json::Value (integers as 5, floats as 5.0 or 0.6666666666666666)."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def say(text):
    """Prints one line of the example's output at once."""
    print(text, flush=True)


def fail(reason, status=1):
    """Reports `reason` on stderr and exits at once with `status`."""
    try:
        sys.stdout.flush()
    except Exception:  # noqa: BLE001 - exiting anyway
        pass
    sys.stderr.write(f"{_NAME}: {reason}\n")
    sys.stderr.flush()
    os._exit(status)


def error_line(what, uri, args, kwargs):
    """The line a frontend prints for an expected WAMP error reply."""
    return f"{what} failed: {uri} args={show(list(args or []))} kwargs={show(dict(kwargs or {}))}"


def application_error_line(what, error):
    """error_line for an autobahn ApplicationError (the ERROR message's uri, args, kwargs)."""
    return error_line(what, error.error, error.args, error.kwargs)


async def within(seconds, awaitable, what):
    """Awaits `awaitable`; more than `seconds` is a failure of the frontend (exit 1)."""
    try:
        return await asyncio.wait_for(awaitable, seconds)
    except asyncio.TimeoutError:
        fail(f"timed out after {seconds} s waiting for {what}")


def _watch_stdin():
    """Exits (status 3) when stdin, a pipe from the parent, reaches end of file, if
    WAMP_PEER_WATCH_STDIN=1."""
    if os.environ.get("WAMP_PEER_WATCH_STDIN") != "1":
        return
    try:
        if not stat.S_ISFIFO(os.fstat(0).st_mode):
            return
    except OSError:
        return

    def watch():
        while True:
            try:
                data = os.read(0, 4096)
            except InterruptedError:
                continue
            except OSError:
                data = b""
            if not data:
                fail("stdin closed, exiting", 3)

    threading.Thread(target=watch, name="stdin-watch", daemon=True).start()


# The future the main coroutine waits on; set once the loop runs.
_finished = None


def _finish():
    if _finished is not None and not _finished.done():
        _finished.set_result(None)


class Frontend(ApplicationSession):
    """A frontend: `main` does the example's job in the joined session; when it returns, the
    session leaves and the process exits with 0. An exception from `main`, or from an event
    handler or progress callback, exits with 1."""

    _done = False

    async def main(self, details):
        raise NotImplementedError

    async def onJoin(self, details):
        try:
            await self.main(details)
        except Exception as e:  # noqa: BLE001 - any unexpected failure ends the frontend
            fail(f"{type(e).__name__}: {e}")
        Frontend._done = True
        self.leave()

    def onUserError(self, failure, msg):
        # An exception in an event handler or progress callback (e.g. a payload of another
        # shape than the example's) ends the frontend at once rather than at its time limit.
        fail(f"{msg}: {txaio.failure_message(failure)}")

    def onDisconnect(self):
        super().onDisconnect()
        if not Frontend._done:
            fail("the connection to the router closed before the frontend finished")
        _finish()


class Backend(ApplicationSession):
    """A backend: `setup` makes the registrations and subscriptions, then `backend ready` is
    printed and `serve` runs (by default: nothing, the callbacks do the work). The backend
    runs until killed; losing the router is a failure (exit 1)."""

    async def setup(self, details):
        pass

    async def serve(self):
        pass

    async def onJoin(self, details):
        try:
            await self.setup(details)
        except Exception as e:  # noqa: BLE001
            fail(f"setup failed: {type(e).__name__}: {e}")
        say("backend ready")
        try:
            await self.serve()
        except Exception as e:  # noqa: BLE001
            fail(f"{type(e).__name__}: {e}")

    def onDisconnect(self):
        super().onDisconnect()
        fail("lost the connection to the router")


def _run(session_class, lifetime):
    _watch_stdin()
    if lifetime is not None:
        timer = threading.Timer(lifetime, fail, args=(f"gave up after {lifetime:.0f} s", 2))
        timer.daemon = True
        timer.start()
    # autobahn's own log (e.g. the traceback of an exception raised in a procedure) goes to
    # stderr, so that stdout carries the example's lines only.
    txaio.start_logging(out=sys.stderr, level=os.environ.get("AUTOBAHN_DEMO_LOG", "warn"))

    async def main():
        global _finished
        _finished = asyncio.get_running_loop().create_future()
        runner = ApplicationRunner(ROUTER, REALM)
        try:
            await runner.run(session_class, start_loop=False)
        except Exception as e:  # noqa: BLE001
            fail(f"could not connect to {ROUTER}: {type(e).__name__}: {e}")
        await _finished

    asyncio.run(main())
    sys.stdout.flush()
    # Skip interpreter teardown: autobahn objects collected late log noise.
    os._exit(0)


def run_frontend(session_class):
    """Runs a Frontend subclass: exit 0 when its job is done, 1 on failure, 2 after
    FRONTEND_LIFETIME seconds."""
    _run(session_class, FRONTEND_LIFETIME)


def run_backend(session_class):
    """Runs a Backend subclass until the process is killed."""
    _run(session_class, None)


__all__ = [
    "ApplicationError",
    "Backend",
    "Frontend",
    "REALM",
    "ROUTER",
    "application_error_line",
    "error_line",
    "fail",
    "run_backend",
    "run_frontend",
    "say",
    "show",
    "within",
]
