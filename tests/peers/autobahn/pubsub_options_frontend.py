"""Frontend of Autobahn's "pubsub options" example (spec: EXAMPLES.md, pubsub_options).

Subscribes to com.myapp.topic1 with the event details (publication id, publisher) and leaves
after 5 events.
"""

import asyncio

from autobahn.wamp.types import SubscribeOptions

from demo import Frontend, run_frontend, say, show, within

EVENTS = 5


class PubSubOptionsFrontend(Frontend):
    async def main(self, details):
        enough = asyncio.Event()
        received = 0

        def on_event(i, details=None):
            nonlocal received
            if enough.is_set():
                return  # leaving already
            if details.publisher is not None:
                say(
                    f"Got event with publisher disclosed: {show(i)}"
                    f" publication={details.publication} publisher={details.publisher}"
                )
            else:
                say(f"Got event without publisher: {show(i)} publication={details.publication}")
            received += 1
            if received >= EVENTS:
                enough.set()

        await self.subscribe(
            on_event, "com.myapp.topic1", options=SubscribeOptions(details_arg="details")
        )
        await within(EVENTS + 10, enough.wait(), f"{EVENTS} events on com.myapp.topic1")


if __name__ == "__main__":
    run_frontend(PubSubOptionsFrontend)
