#!/usr/bin/env python3
"""Autobahn|Python callee for cross-implementation tests.

Registers, under --prefix (default com.peer):

    <prefix>.echo     returns its args and kwargs unchanged: CallResult(*args, **kwargs)
    <prefix>.add2     returns a + b
    <prefix>.fail     raises ApplicationError("com.peer.error.failed", "first", 2,
                      {"nested": [1, 2]}, detail="kw", code=7)
    <prefix>.binary   returns bytes(range(256)) followed by its own args, and its kwargs
    <prefix>.sleep    sleeps `seconds` (first argument), then returns it
    <prefix>.details  returns {"caller": <caller session id or null>, "procedure": <uri>}
    <prefix>.longop   sends 0 .. n-1 as progressive results when the caller asked for them
                      (one every 10 ms), then returns n

Prints `READY {"prefix": ...}` once everything is registered; with --log-calls also
`CALLED {"procedure": ..., "args": [...], "kwargs": {...}}` per invocation. Serves until
--calls invocations have been answered (then exits 0), or until --timeout passes (prints BYE,
exits 0). Use a unique --prefix when several callees share one router.
"""

import asyncio

from autobahn.wamp.exception import ApplicationError
from autobahn.wamp.types import CallResult, RegisterOptions

import peerlib


def main():
    p = peerlib.parser(__doc__.splitlines()[0])
    p.add_argument("--prefix", default="com.peer", help="URI prefix of the procedures")
    p.add_argument("--calls", type=int, default=0, help="exit after this many invocations (0: serve until --timeout)")
    p.add_argument("--log-calls", action="store_true", help="print a CALLED line per invocation")
    args = p.parse_args()
    prefix = args.prefix

    async def serve(session):
        loop = asyncio.get_running_loop()
        finished = loop.create_future()
        served = [0]

        def answered(procedure, call_args, call_kwargs):
            if args.log_calls:
                peerlib.emit("CALLED", {"procedure": procedure, "args": list(call_args), "kwargs": call_kwargs})
            served[0] += 1
            if args.calls and served[0] >= args.calls and not finished.done():
                # let the YIELD go out before the session leaves
                loop.call_later(0.05, lambda: finished.done() or finished.set_result(None))

        def echo(*a, **kw):
            answered(f"{prefix}.echo", a, kw)
            return CallResult(*a, **kw)

        def add2(a, b):
            answered(f"{prefix}.add2", [a, b], {})
            return a + b

        def fail(*a, **kw):
            answered(f"{prefix}.fail", a, kw)
            raise ApplicationError("com.peer.error.failed", "first", 2, {"nested": [1, 2]}, detail="kw", code=7)

        def binary(*a, **kw):
            answered(f"{prefix}.binary", a, kw)
            return CallResult(bytes(range(256)), *a, **kw)

        async def sleep(seconds, *a, **kw):
            await asyncio.sleep(float(seconds))
            answered(f"{prefix}.sleep", [seconds, *a], kw)
            return seconds

        def details(*a, **kw):
            d = kw.pop("details")
            answered(f"{prefix}.details", a, kw)
            return {"caller": d.caller, "procedure": d.procedure}

        async def longop(n, details=None):
            for i in range(int(n)):
                if details is not None and details.progress:
                    details.progress(i)
                await asyncio.sleep(0.01)
            answered(f"{prefix}.longop", [n], {})
            return n

        for name, fn in [("echo", echo), ("add2", add2), ("fail", fail), ("binary", binary), ("sleep", sleep)]:
            await session.register(fn, f"{prefix}.{name}")
        await session.register(details, f"{prefix}.details", options=RegisterOptions(details_arg="details"))
        await session.register(longop, f"{prefix}.longop", options=RegisterOptions(details_arg="details"))
        peerlib.emit("READY", {"prefix": prefix})
        await finished

    peerlib.run(args, serve, serve=True)


if __name__ == "__main__":
    main()
