"""Backend of Autobahn's "rpc slowsquare" example (spec: EXAMPLES.md, rpc_slowsquare).

Registers com.math.square(x) and com.math.slowsquare(x, delay=1), which answers x * x after
`delay` seconds without holding up other calls.
"""

import asyncio

from demo import Backend, run_backend, say


class SlowSquareBackend(Backend):
    async def setup(self, details):
        def square(x):
            return x * x

        await self.register(square, "com.math.square")

        async def slowsquare(x, delay=1):
            await asyncio.sleep(delay)
            return x * x

        await self.register(slowsquare, "com.math.slowsquare")
        say("Registered com.math.slowsquare")


if __name__ == "__main__":
    run_backend(SlowSquareBackend)
