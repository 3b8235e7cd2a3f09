"""Backend of Autobahn's "pubsub complex" example (spec: EXAMPLES.md, pubsub_complex).

Every second: an event without payload to com.myapp.heartbeat, then an event with positional
and keyword payload to com.myapp.topic2.
"""

import asyncio
import random

from demo import Backend, run_backend, say


class PubSubComplexBackend(Backend):
    async def serve(self):
        counter = 0
        while True:
            say("publish: com.myapp.heartbeat")
            self.publish("com.myapp.heartbeat")

            obj = {"counter": counter, "foo": [1, 2, 3]}
            say("publish: com.myapp.topic2")
            self.publish("com.myapp.topic2", random.randint(0, 100), 23, c="Hello", d=obj)

            counter += 1
            await asyncio.sleep(1)


if __name__ == "__main__":
    run_backend(PubSubComplexBackend)
