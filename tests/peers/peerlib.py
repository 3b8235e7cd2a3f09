"""Plumbing shared by the Autobahn|Python test peers in this directory.

Every peer takes the same connection options:

    --url URL            ws://host:port/path, wss://..., rs://host:port, rss://host:port
                         or rs://unix:/path/to/socket (rawsocket over a Unix socket)
    --realm REALM        default: realm1
    --serializer NAME    json | msgpack | cbor (default: json)
    --ca FILE            CA certificate (PEM) to trust for wss:// and rss://
    --timeout SECONDS    upper bound on the peer's whole life (default: 30)

and talks to its parent through stdout, one machine-readable line each:

    TAG <json>

JSON cannot hold bytes, so binary values are written as {"__bytes__": "<hex>"}, and the same
form is accepted wherever a peer reads JSON from its command line (--args, --kwargs).

A peer exits by itself when its job is done or its --timeout has passed (exit status 0 for a
done job, 2 for a timeout or failure, with the reason on stderr). When the environment variable
WAMP_PEER_WATCH_STDIN=1 is set (the Rust harness sets it) and stdin is a pipe, the peer also
exits as soon as stdin reaches end of file: the parent test process died, so nobody is
listening any more.
"""

import argparse
import asyncio
import json
import os
import ssl
import stat
import sys
from urllib.parse import urlparse

# bjdata (autobahn's optional UBJSON codec) is built against NumPy 1.x and prints a long
# traceback on import under NumPy 2; the peers never use UBJSON, so keep it from loading.
sys.modules.setdefault("bjdata", None)

import txaio  # noqa: E402

txaio.use_asyncio()

from autobahn.asyncio.rawsocket import WampRawSocketClientFactory  # noqa: E402
from autobahn.asyncio.wamp import ApplicationSession  # noqa: E402
from autobahn.asyncio.websocket import WampWebSocketClientFactory  # noqa: E402
from autobahn.wamp.serializer import create_transport_serializer  # noqa: E402
from autobahn.wamp.types import ComponentConfig  # noqa: E402

SERIALIZERS = ("json", "msgpack", "cbor")


def encode(value):
    """Converts a WAMP payload value into plain JSON, with bytes as {"__bytes__": hex}."""
    if isinstance(value, (bytes, bytearray)):
        return {"__bytes__": bytes(value).hex()}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    return value


def decode(value):
    """The inverse of encode: {"__bytes__": hex} becomes bytes."""
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, dict):
        if set(value.keys()) == {"__bytes__"} and isinstance(value["__bytes__"], str):
            return bytes.fromhex(value["__bytes__"])
        return {k: decode(v) for k, v in value.items()}
    return value


def emit(tag, payload=None):
    """Prints one line `TAG <json>` (or just `TAG`) and flushes it."""
    if payload is None:
        line = tag
    else:
        line = tag + " " + json.dumps(encode(payload), sort_keys=True, separators=(",", ":"))
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def fail(message, status=2):
    """Reports a failure on stdout and stderr, then exits at once."""
    emit("FAILED", {"reason": message})
    sys.stderr.write(f"{os.path.basename(sys.argv[0])}: {message}\n")
    sys.stderr.flush()
    os._exit(status)


def json_arg(text, what):
    """Parses a JSON command line argument, with the {"__bytes__": hex} convention."""
    try:
        return decode(json.loads(text))
    except ValueError as e:
        raise SystemExit(f"invalid JSON in {what}: {e}")


def parser(description):
    """An argument parser with the connection options every peer shares."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--url", required=True, help="router URL: ws://, wss://, rs://, rss:// or rs://unix:/path")
    p.add_argument("--realm", default="realm1")
    p.add_argument("--serializer", default="json", choices=SERIALIZERS)
    p.add_argument("--ca", default=None, help="CA certificate (PEM) to trust for wss:// and rss://")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds before the peer gives up")
    return p


def endpoint(url, ca=None):
    """Where to connect for the URL: ("unix", path, None) or ("tcp", (host, port), ssl context)."""
    u = urlparse(url)
    if u.scheme not in ("ws", "wss", "rs", "rss"):
        raise SystemExit(f"unsupported URL scheme in {url!r}")
    if u.hostname == "unix" and u.scheme in ("rs", "rss"):
        # rs://unix:/tmp/x.sock, as autobahn itself spells it
        return "unix", (u.netloc + u.path).split(":", 1)[1], None
    port = u.port or {"ws": 80, "wss": 443, "rs": 80, "rss": 443}[u.scheme]
    context = None
    if u.scheme in ("wss", "rss"):
        context = ssl.create_default_context(purpose=ssl.Purpose.SERVER_AUTH, cafile=ca)
    return "tcp", (u.hostname, port), context


def _watch_stdin(loop):
    """Exits when stdin (a pipe from the parent) closes, if asked to by the environment."""
    if os.environ.get("WAMP_PEER_WATCH_STDIN") != "1":
        return
    try:
        if not stat.S_ISFIFO(os.fstat(0).st_mode):
            return
    except OSError:
        return

    def readable():
        try:
            data = os.read(0, 4096)
        except OSError:
            data = b""
        if not data:
            sys.stderr.write(f"{os.path.basename(sys.argv[0])}: stdin closed, exiting\n")
            sys.stderr.flush()
            os._exit(3)

    loop.add_reader(0, readable)



async def connect(args, make_session, on_error):
    """Opens the transport of --url (WebSocket or RawSocket; TCP, TLS or Unix) for one session
    made by `make_session()`. Calls `on_error(text)` when it cannot connect in time."""
    loop = asyncio.get_running_loop()
    serializer = create_transport_serializer(args.serializer)
    if args.url.startswith("ws"):
        factory = WampWebSocketClientFactory(make_session, url=args.url, serializers=[serializer])
    else:
        factory = WampRawSocketClientFactory(make_session, serializer=serializer)
    kind, where, context = endpoint(args.url, args.ca)
    if kind == "unix":
        connecting = loop.create_unix_connection(factory, where)
    else:
        host, port = where
        connecting = loop.create_connection(
            factory, host, port, ssl=context, server_hostname=host if context else None
        )
    try:
        await asyncio.wait_for(connecting, min(args.timeout, 10.0))
    except Exception as e:  # noqa: BLE001
        on_error(f"could not connect to {args.url}: {type(e).__name__}: {e}")


class OnceSession(ApplicationSession):
    """A session of `run_once`: when its connection ends, the wait ends."""

    finished = None

    def onDisconnect(self):
        if self.finished is not None and not self.finished.done():
            self.finished.set_result(None)


async def run_once(args, make_session, on_error):
    """Connects one `OnceSession` made by `make_session()` (see `connect`) and waits until its
    connection ends. Returns False when --timeout passes first. Watches stdin as
    `_watch_stdin` says."""
    loop = asyncio.get_running_loop()
    finished = loop.create_future()
    _watch_stdin(loop)

    def session():
        s = make_session()
        s.finished = finished
        return s

    await connect(args, session, on_error)
    try:
        await asyncio.wait_for(finished, args.timeout)
        return True
    except asyncio.TimeoutError:
        return False

def run(args, main, serve=False):
    """Connects once with the shared options and runs `main(session)` in the joined session.

    `main` is an async function; the session leaves when it returns. The peer exits with 0
    when main returns, and with 2 (after printing FAILED) when the connection fails, the
    session is refused or lost, or main raises. Passing --timeout is a failure too, unless
    `serve` is true (a callee serves until then): the peer then prints BYE and exits with 0.

    (autobahn's Component is not used: over rawsocket it takes a clean close after main for a
    failed connection and reconnects forever, running main again each time.)
    """
    state = {"ok": False, "left": None}

    class PeerSession(OnceSession):
        async def onJoin(self, details):
            try:
                await main(self)
                state["ok"] = True
            except Exception as e:  # noqa: BLE001 - report anything to the parent
                fail(f"{type(e).__name__}: {e}")
            self.leave()

        def onLeave(self, details):
            state["left"] = details
            super().onLeave(details)

    async def runner():
        if not await run_once(args, lambda: PeerSession(ComponentConfig(realm=args.realm)), fail):
            if serve:
                emit("BYE")
                os._exit(0)
            fail(f"timed out after {args.timeout}s")
        if not state["ok"]:
            left = state["left"]
            why = f"{left.reason}: {left.message}" if left is not None else "connection closed"
            fail(f"session ended before the peer finished its job ({why})")

    asyncio.run(runner())
    sys.stdout.flush()
    # Skip interpreter teardown: some autobahn objects log noise when collected late.
    os._exit(0)
