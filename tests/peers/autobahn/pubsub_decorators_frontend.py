"""Frontend of Autobahn's "pubsub decorators" example (spec: EXAMPLES.md, pubsub_decorators).

Subscribes its methods decorated with @wamp.subscribe (com.myapp.topic1, com.myapp.topic2) in
one go, and leaves after 5 events on com.myapp.topic1.
"""

import asyncio

from autobahn import wamp

from demo import Frontend, fail, run_frontend, say, show, within

EVENTS = 5


class PubSubDecoratorsFrontend(Frontend):
    async def main(self, details):
        self.enough = asyncio.Event()
        self.received = 0

        # subscribes every method of this object decorated with @wamp.subscribe
        results = await self.subscribe(self)
        for result in results:
            if isinstance(result, wamp.protocol.Subscription):
                say(f"Ok, subscribed handler with subscription ID {result.id}")
            else:
                fail(f"Failed to subscribe handler: {result}")

        await within(EVENTS + 10, self.enough.wait(), f"{EVENTS} events on com.myapp.topic1")

    @wamp.subscribe("com.myapp.topic1")
    def on_event1(self, i):
        if self.enough.is_set():
            return  # leaving already
        say(f"Got event on topic1: {show(i)}")
        self.received += 1
        if self.received >= EVENTS:
            self.enough.set()

    @wamp.subscribe("com.myapp.topic2")
    def on_event2(self, msg):
        if self.enough.is_set():
            return
        say(f"Got event on topic2: {show(msg)}")


if __name__ == "__main__":
    run_frontend(PubSubDecoratorsFrontend)
