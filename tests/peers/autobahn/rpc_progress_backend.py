"""Backend of Autobahn's "rpc progress" example (spec: EXAMPLES.md, rpc_progress).

com.myapp.longop(n): for a caller that asked for progressive results, sends 0 .. n-1 as
progressive results one second apart, then the final result n; for any other caller, the final
result n after n seconds.
"""

import asyncio

from autobahn.wamp.types import RegisterOptions

from demo import Backend, run_backend


class ProgressBackend(Backend):
    async def setup(self, details):
        async def longop(n, details=None):
            if details.progress:
                for i in range(n):
                    details.progress(i)
                    await asyncio.sleep(1)
            else:
                await asyncio.sleep(1 * n)
            return n

        await self.register(longop, "com.myapp.longop", RegisterOptions(details_arg="details"))


if __name__ == "__main__":
    run_backend(ProgressBackend)
