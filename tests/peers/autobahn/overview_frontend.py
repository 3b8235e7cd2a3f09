"""Frontend of Autobahn's "overview" example (spec: EXAMPLES.md, overview).

Listens to com.myapp.hello, calls com.myapp.add2(2, 3), and leaves once it has the result and
two events.
"""

import asyncio

from demo import Frontend, run_frontend, say, show, within

EVENTS = 2


class OverviewFrontend(Frontend):
    async def main(self, details):
        enough = asyncio.Event()
        received = 0

        def on_hello(msg):
            nonlocal received
            say(f"Got event: {show(msg)}")
            received += 1
            if received >= EVENTS:
                enough.set()

        await self.subscribe(on_hello, "com.myapp.hello")

        result = await self.call("com.myapp.add2", 2, 3)
        say(f"Got result: {show(result)}")

        await within(10, enough.wait(), f"{EVENTS} events on com.myapp.hello")


if __name__ == "__main__":
    run_frontend(OverviewFrontend)
