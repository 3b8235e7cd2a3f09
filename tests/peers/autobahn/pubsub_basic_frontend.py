"""Frontend of Autobahn's "pubsub basic" example (spec: EXAMPLES.md, pubsub_basic).

Subscribes to com.myapp.topic1 and leaves after 5 events.
"""

import asyncio

from demo import Frontend, run_frontend, say, show, within

EVENTS = 5


class PubSubBasicFrontend(Frontend):
    async def main(self, details):
        enough = asyncio.Event()
        received = 0

        def on_event(i):
            nonlocal received
            if enough.is_set():
                return  # leaving already
            say(f"Got event: {show(i)}")
            received += 1
            if received >= EVENTS:
                enough.set()

        await self.subscribe(on_event, "com.myapp.topic1")
        await within(EVENTS + 10, enough.wait(), f"{EVENTS} events on com.myapp.topic1")


if __name__ == "__main__":
    run_frontend(PubSubBasicFrontend)
