"""Frontend of Autobahn's "rpc slowsquare" example (spec: EXAMPLES.md, rpc_slowsquare).

Calls com.math.slowsquare(3, 2) and then, without waiting, com.math.square(3); prints each
result with its duration as it arrives (the quick one first), then "All finished.".
"""

import asyncio
import time

from demo import Frontend, run_frontend, say, show


class SlowSquareFrontend(Frontend):
    async def main(self, details):
        async def timed(label, procedure, *args):
            started = time.monotonic()
            result = await self.call(procedure, *args)
            duration = round(1000 * (time.monotonic() - started))
            say(f"{label}: {show(result)}, ms: {duration}")

        await asyncio.gather(
            timed("Slow Square", "com.math.slowsquare", 3, 2),
            timed("Quick Square", "com.math.square", 3),
        )
        say("All finished.")


if __name__ == "__main__":
    run_frontend(SlowSquareFrontend)
