"""Frontend of Autobahn's "pubsub complex" example (spec: EXAMPLES.md, pubsub_complex).

Subscribes to com.myapp.heartbeat (no payload; prints the publication id from the event
details) and com.myapp.topic2 (positional and keyword payload), and leaves after 5 seconds.
"""

import asyncio

from autobahn.wamp.types import SubscribeOptions

from demo import Frontend, run_frontend, say, show

LISTEN_SECONDS = 5


class PubSubComplexFrontend(Frontend):
    async def main(self, details):
        def on_heartbeat(details=None):
            say(f"Got heartbeat, publication ID: {details.publication}")

        await self.subscribe(
            on_heartbeat, "com.myapp.heartbeat", options=SubscribeOptions(details_arg="details")
        )

        def on_topic2(a, b, c=None, d=None):
            # the values that change between events (a is random, d["counter"] counts) last
            say(
                f"Got event: b={show(b)} c={show(c)} d.foo={show(d['foo'])}"
                f" a={show(a)} d.counter={show(d['counter'])}"
            )

        await self.subscribe(on_topic2, "com.myapp.topic2")
        await asyncio.sleep(LISTEN_SECONDS)


if __name__ == "__main__":
    run_frontend(PubSubComplexFrontend)
