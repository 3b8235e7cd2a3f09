"""Backend of Autobahn's "pubsub unsubscribe" example (spec: EXAMPLES.md, pubsub_unsubscribe).

Publishes a counter (0, 1, 2, ...) to com.myapp.topic1 every second, printing nothing more.
"""

import asyncio

from demo import Backend, run_backend


class PubSubUnsubscribeBackend(Backend):
    async def serve(self):
        counter = 0
        while True:
            self.publish("com.myapp.topic1", counter)
            counter += 1
            await asyncio.sleep(1)


if __name__ == "__main__":
    run_backend(PubSubUnsubscribeBackend)
