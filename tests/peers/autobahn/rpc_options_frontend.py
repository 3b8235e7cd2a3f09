"""Frontend of Autobahn's "rpc options" example (spec: EXAMPLES.md, rpc_options).

Subscribes to com.myapp.square_on_nonpositive, calls com.myapp.square with 2, 0 and -2, and
leaves once the event for -2 is in: the backend excludes the caller from the event for 0, so
that one never arrives (it would arrive before the one for -2: same publisher, same topic).
"""

import asyncio

from demo import Frontend, run_frontend, say, show, within


class OptionsFrontend(Frontend):
    async def main(self, details):
        negative_seen = asyncio.Event()

        def on_event(val):
            say(f"Someone requested to square non-positive: {show(val)}")
            if val == -2:
                negative_seen.set()

        await self.subscribe(on_event, "com.myapp.square_on_nonpositive")

        # Autobahn's original asks for disclosure with CallOptions(disclose_me=True); Autobahn
        # 26 dropped that option, and Crossbar decides from its configuration alone.
        for val in [2, 0, -2]:
            res = await self.call("com.myapp.square", val)
            say(f"Squared {show(val)} = {show(res)}")

        await within(10, negative_seen.wait(), "the event for -2 on com.myapp.square_on_nonpositive")


if __name__ == "__main__":
    run_frontend(OptionsFrontend)
