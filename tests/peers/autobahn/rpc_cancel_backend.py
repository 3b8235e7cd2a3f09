"""Backend of the "rpc cancel" example (spec: EXAMPLES.md, rpc_cancel).

com.myapp.longop(n): progressive results 0 .. n-1, 0.2 s apart, then n; an invocation the
router interrupts (the caller canceled) stops and is counted. com.myapp.interrupted() returns
that count.
"""

import asyncio

from autobahn.wamp.types import RegisterOptions

from demo import Backend, run_backend


class CancelBackend(Backend):
    async def setup(self, details):
        interrupted = 0

        async def longop(n, details=None):
            nonlocal interrupted
            try:
                for i in range(n):
                    if details.progress:
                        details.progress(i)
                    await asyncio.sleep(0.2)
            except asyncio.CancelledError:
                # Autobahn cancels the invocation's task when the router interrupts it.
                interrupted += 1
                raise
            return n

        def count():
            return interrupted

        await self.register(longop, "com.myapp.longop", RegisterOptions(details_arg="details"))
        await self.register(count, "com.myapp.interrupted")


if __name__ == "__main__":
    run_backend(CancelBackend)
