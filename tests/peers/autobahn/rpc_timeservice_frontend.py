"""Frontend of Autobahn's "rpc timeservice" example (spec: EXAMPLES.md, rpc_timeservice).

Calls com.timeservice.now once, prints the time and leaves.
"""

from demo import Frontend, run_frontend, say, show


class TimeServiceFrontend(Frontend):
    async def main(self, details):
        now = await self.call("com.timeservice.now")
        say(f"Current time from time service: {show(now)}")


if __name__ == "__main__":
    run_frontend(TimeServiceFrontend)
