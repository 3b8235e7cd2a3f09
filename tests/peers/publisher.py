#!/usr/bin/env python3
"""Autobahn|Python publisher for cross-implementation tests.

Publishes --count events (acknowledged) to --topic with --args (a JSON list) and --kwargs (a
JSON object); bytes are written {"__bytes__": "<hex>"}. With --wait-subscriber it first waits
(bounded by --timeout) until the router's meta API (wamp.subscription.match and
wamp.subscription.count_subscribers) shows at least --subscribers subscribers on subscriptions
matching the topic. Prints `PUBLISHED <n>` when all publications are acknowledged, then exits 0.
"""

import asyncio

from autobahn.wamp.types import PublishOptions

import peerlib


def main():
    p = peerlib.parser(__doc__.splitlines()[0])
    p.add_argument("--topic", required=True)
    p.add_argument("--args", default="[]", help="positional arguments, a JSON list")
    p.add_argument("--kwargs", default="{}", help="keyword arguments, a JSON object")
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--wait-subscriber", action="store_true", help="wait for a subscriber before publishing")
    p.add_argument("--subscribers", type=int, default=1, help="how many subscribers --wait-subscriber waits for")
    p.add_argument("--include-me", action="store_true", help="do not exclude this session from receivers")
    args = p.parse_args()
    pub_args = peerlib.json_arg(args.args, "--args")
    pub_kwargs = peerlib.json_arg(args.kwargs, "--kwargs")
    if not isinstance(pub_args, list) or not isinstance(pub_kwargs, dict):
        raise SystemExit("--args must be a JSON list and --kwargs a JSON object")

    async def subscribers(session):
        ids = await session.call("wamp.subscription.match", args.topic) or []
        total = 0
        for sub_id in ids:
            total += await session.call("wamp.subscription.count_subscribers", sub_id) or 0
        return total

    async def publish(session):
        if args.wait_subscriber:
            while await subscribers(session) < args.subscribers:
                await asyncio.sleep(0.05)
        options = PublishOptions(acknowledge=True, exclude_me=not args.include_me)
        for _ in range(args.count):
            await session.publish(args.topic, *pub_args, options=options, **pub_kwargs)
        peerlib.emit(f"PUBLISHED {args.count}")

    peerlib.run(args, publish)


if __name__ == "__main__":
    main()
