"""Frontend of Autobahn's "rpc progress" example (spec: EXAMPLES.md, rpc_progress).

Calls com.myapp.longop(3) asking for progressive results, prints each, then the final result.
"""

from autobahn.wamp.types import CallOptions

from demo import Frontend, run_frontend, say, show


class ProgressFrontend(Frontend):
    async def main(self, details):
        def on_progress(i):
            say(f"Progress: {show(i)}")

        res = await self.call("com.myapp.longop", 3, options=CallOptions(on_progress=on_progress))
        say(f"Final: {show(res)}")


if __name__ == "__main__":
    run_frontend(ProgressFrontend)
