"""Backend of Autobahn's "pubsub basic" example (spec: EXAMPLES.md, pubsub_basic).

Publishes a counter (0, 1, 2, ...) to com.myapp.topic1 every second.
"""

import asyncio

from demo import Backend, run_backend, say


class PubSubBasicBackend(Backend):
    async def serve(self):
        counter = 0
        while True:
            say(f"publish: com.myapp.topic1 {counter}")
            self.publish("com.myapp.topic1", counter)
            counter += 1
            await asyncio.sleep(1)


if __name__ == "__main__":
    run_backend(PubSubBasicBackend)
