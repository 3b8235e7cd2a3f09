"""Backend of Autobahn's "pubsub options" example (spec: EXAMPLES.md, pubsub_options).

Subscribes to com.myapp.topic1 itself, then publishes a counter to it every second with
acknowledge=True and exclude_me=False: it gets its own events, and the publication id of each.
"""

import asyncio

from autobahn.wamp.types import PublishOptions

from demo import Backend, run_backend, say, show


class PubSubOptionsBackend(Backend):
    async def setup(self, details):
        def on_event(i):
            say(f"Got event: {show(i)}")

        await self.subscribe(on_event, "com.myapp.topic1")

    async def serve(self):
        # Publisher disclosure is the router's decision (Crossbar: the role's "disclose"
        # setting); Autobahn|Python 26 has no disclose_me publish option any more.
        options = PublishOptions(acknowledge=True, exclude_me=False)
        counter = 0
        while True:
            publication = await self.publish("com.myapp.topic1", counter, options=options)
            say(f"Event published with publication ID {publication.id}")
            counter += 1
            await asyncio.sleep(1)


if __name__ == "__main__":
    run_backend(PubSubOptionsBackend)
