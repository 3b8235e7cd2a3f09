"""Frontend of Autobahn's "retained events" example (spec: EXAMPLES.md, pubsub_retained).

Subscribes to com.example.no_history_here and com.example.history with get_retained=True and
prints the retained event each gives at once, then leaves.
"""

import asyncio

from autobahn.wamp.types import SubscribeOptions

from demo import Frontend, run_frontend, say, show, within

TOPICS = ["com.example.no_history_here", "com.example.history"]


class PubSubRetainedFrontend(Frontend):
    async def main(self, details):
        enough = asyncio.Event()
        received = 0

        def on_event(text, details=None):
            nonlocal received
            if enough.is_set():
                return  # leaving already
            say(f"Got event on {details.topic}: {show(text)} retained={show(bool(details.retained))}")
            received += 1
            if received >= len(TOPICS):
                enough.set()

        for topic in TOPICS:
            await self.subscribe(
                on_event,
                topic,
                options=SubscribeOptions(get_retained=True, details_arg="details"),
            )
        await within(10, enough.wait(), "the retained events")


if __name__ == "__main__":
    run_frontend(PubSubRetainedFrontend)
