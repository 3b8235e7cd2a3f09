"""Backend of Autobahn's "pubsub decorators" example (spec: EXAMPLES.md, pubsub_decorators).

Every second: a counter to com.myapp.topic1, then "Hello world." to com.myapp.topic2.
"""

import asyncio

from demo import Backend, run_backend, say, show

GREETING = "Hello world."


class PubSubDecoratorsBackend(Backend):
    async def serve(self):
        counter = 0
        while True:
            say(f"publish: com.myapp.topic1 {counter}")
            self.publish("com.myapp.topic1", counter)

            say(f"publish: com.myapp.topic2 {show(GREETING)}")
            self.publish("com.myapp.topic2", GREETING)

            counter += 1
            await asyncio.sleep(1)


if __name__ == "__main__":
    run_backend(PubSubDecoratorsBackend)
