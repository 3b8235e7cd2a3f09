#!/usr/bin/env python3
"""Autobahn|Python caller for cross-implementation tests.

Calls --procedure with --args (a JSON list) and --kwargs (a JSON object); bytes are written
{"__bytes__": "<hex>"} in both. Prints exactly one of

    RESULT {"args": [...], "kwargs": {...}}               the RESULT message's payload, as sent
    ERROR {"uri": "...", "args": [...], "kwargs": {...}}   an ERROR reply

(with --progress, each progressive result first as `PROGRESS {"args": ..., "kwargs": ...}`),
then leaves and exits 0. With --cancel-after SECONDS it cancels the call that long after
making it (Autobahn sends CANCEL) and prints `CANCELED` instead. Exits 2 (printing FAILED)
when it cannot connect or --timeout passes.
"""

import asyncio

from autobahn.wamp import message
from autobahn.wamp.exception import ApplicationError
from autobahn.wamp.types import CallOptions

import peerlib


def main():
    p = peerlib.parser(__doc__.splitlines()[0])
    p.add_argument("--procedure", required=True)
    p.add_argument("--args", default="[]", help="positional arguments, a JSON list")
    p.add_argument("--kwargs", default="{}", help="keyword arguments, a JSON object")
    p.add_argument("--call-timeout", type=float, default=None, help="WAMP call timeout option, in seconds")
    p.add_argument("--progress", action="store_true", help="ask for progressive results")
    p.add_argument("--cancel-after", type=float, default=None, help="cancel the call after this many seconds")
    args = p.parse_args()
    call_args = peerlib.json_arg(args.args, "--args")
    call_kwargs = peerlib.json_arg(args.kwargs, "--kwargs")
    if not isinstance(call_args, list) or not isinstance(call_kwargs, dict):
        raise SystemExit("--args must be a JSON list and --kwargs a JSON object")

    async def call(session):
        # Autobahn folds a RESULT into one Python value (losing the difference between [] and
        # [None], say); record the message itself to report exactly what the router sent.
        final = {}
        on_message = session.onMessage

        def record(msg):
            if isinstance(msg, message.Result):
                payload = {"args": list(msg.args or []), "kwargs": dict(msg.kwargs or {})}
                if msg.progress:
                    peerlib.emit("PROGRESS", payload)
                else:
                    final["payload"] = payload
            return on_message(msg)

        session.onMessage = record
        options = CallOptions(
            timeout=args.call_timeout,
            on_progress=(lambda *a, **kw: None) if args.progress else None,
        )
        pending = asyncio.ensure_future(
            session.call(args.procedure, *call_args, options=options, **call_kwargs)
        )
        if args.cancel_after is not None:
            await asyncio.sleep(args.cancel_after)
            pending.cancel()
            try:
                await pending
            except (asyncio.CancelledError, ApplicationError):
                pass
            peerlib.emit("CANCELED")
            return
        try:
            await pending
        except ApplicationError as e:
            peerlib.emit("ERROR", {"uri": e.error, "args": list(e.args), "kwargs": dict(e.kwargs or {})})
            return
        peerlib.emit("RESULT", final["payload"])

    peerlib.run(args, call)


if __name__ == "__main__":
    main()
