#!/usr/bin/env python3
"""Autobahn|Python subscriber for cross-implementation tests.

Subscribes to --topic (with --match exact|prefix|wildcard), prints
`READY {"subscription": <id>}`, then per event

    EVENT {"args": [...], "kwargs": {...}, "topic": "...", "publisher": <id or null>}

with args and kwargs exactly as in the EVENT message (bytes as {"__bytes__": "<hex>"}); "topic"
is the concrete topic for pattern subscriptions (null otherwise) and "publisher" is set when the
router discloses it. Exits 0 after --count events, or 2 (printing FAILED) when --timeout passes.
"""

import asyncio

from autobahn.wamp import message
from autobahn.wamp.types import SubscribeOptions

import peerlib


def main():
    p = peerlib.parser(__doc__.splitlines()[0])
    p.add_argument("--topic", required=True)
    p.add_argument("--match", default="exact", choices=("exact", "prefix", "wildcard"))
    p.add_argument("--count", type=int, default=1, help="exit after this many events")
    args = p.parse_args()

    async def subscribe(session):
        loop = asyncio.get_running_loop()
        finished = loop.create_future()
        received = [0]
        on_message = session.onMessage

        def record(msg):
            # report the EVENT message itself: autobahn's handler signature would merge options
            if isinstance(msg, message.Event):
                peerlib.emit(
                    "EVENT",
                    {
                        "args": list(msg.args or []),
                        "kwargs": dict(msg.kwargs or {}),
                        "topic": msg.topic,
                        "publisher": msg.publisher,
                    },
                )
                received[0] += 1
                if received[0] >= args.count and not finished.done():
                    finished.set_result(None)
            return on_message(msg)

        session.onMessage = record
        sub = await session.subscribe(lambda *a, **kw: None, args.topic, options=SubscribeOptions(match=args.match))
        peerlib.emit("READY", {"subscription": sub.id})
        await finished

    peerlib.run(args, subscribe)


if __name__ == "__main__":
    main()
