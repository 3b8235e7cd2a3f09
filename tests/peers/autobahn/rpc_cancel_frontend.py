"""Frontend of the "rpc cancel" example (spec: EXAMPLES.md, rpc_cancel).

Calls com.myapp.longop(20) asking for progressive results, cancels the call after the second
one, then waits until the backend reports the invocation interrupted.
"""

import asyncio

from autobahn.wamp.types import CallOptions

from demo import Frontend, fail, run_frontend, say, show, within


class CancelFrontend(Frontend):
    async def main(self, details):
        call = None
        seen = 0

        def on_progress(i):
            nonlocal seen
            if seen >= 2:
                return  # canceling already
            say(f"Progress: {show(i)}")
            seen += 1
            if seen == 2:
                call.cancel()

        call = self.call("com.myapp.longop", 20, options=CallOptions(on_progress=on_progress))
        try:
            res = await within(20, call, "the end of the canceled call")
            fail(f"the canceled call returned {show(res)}")
        except asyncio.CancelledError:
            say("Canceled")

        async def interrupted():
            while True:
                count = await self.call("com.myapp.interrupted")
                if count >= 1:
                    return count
                await asyncio.sleep(0.1)

        count = await within(10, interrupted(), "the backend's interruption")
        say(f"Interrupted: {show(count)}")


if __name__ == "__main__":
    run_frontend(CancelFrontend)
