"""Backend of Autobahn's "overview" example (spec: EXAMPLES.md, overview).

Registers com.myapp.add2 and publishes "Hello, world!" to com.myapp.hello every second.
"""

import asyncio

from demo import Backend, run_backend, say


class OverviewBackend(Backend):
    async def setup(self, details):
        def add2(x, y):
            return x + y

        registration = await self.register(add2, "com.myapp.add2")
        say(f"registered 'com.myapp.add2' with id {registration.id}")

    async def serve(self):
        while True:
            self.publish("com.myapp.hello", "Hello, world!")
            await asyncio.sleep(1)


if __name__ == "__main__":
    run_backend(OverviewBackend)
