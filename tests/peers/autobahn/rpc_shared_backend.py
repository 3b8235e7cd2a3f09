"""Backend of the "shared registrations" example (spec: EXAMPLES.md, rpc_shared).

Autobahn|Python has no example of this. Two callees, each a session of its own, register
com.example.shared.whoami with invoke="roundrobin" and answer with their name ("a", "b");
`backend ready` once both are registered.
"""

import asyncio
import os
import sys

import txaio
from autobahn.asyncio.wamp import ApplicationRunner, ApplicationSession
from autobahn.wamp.types import RegisterOptions

import demo
from demo import REALM, ROUTER, fail, say

CALLEES = ["a", "b"]


class Callee(ApplicationSession):
    async def onJoin(self, details):
        name = self.config.extra["name"]

        def whoami():
            return name

        try:
            await self.register(
                whoami, "com.example.shared.whoami", options=RegisterOptions(invoke="roundrobin")
            )
        except Exception as e:  # noqa: BLE001
            fail(f"setup failed: {type(e).__name__}: {e}")
        self.config.extra["registered"].set()

    def onDisconnect(self):
        super().onDisconnect()
        fail("lost the connection to the router")


def main():
    demo._watch_stdin()
    txaio.start_logging(out=sys.stderr, level=os.environ.get("AUTOBAHN_DEMO_LOG", "warn"))

    async def run():
        for name in CALLEES:
            registered = asyncio.Event()
            runner = ApplicationRunner(ROUTER, REALM, extra={"name": name, "registered": registered})
            try:
                await runner.run(Callee, start_loop=False)
            except Exception as e:  # noqa: BLE001
                fail(f"could not connect to {ROUTER}: {type(e).__name__}: {e}")
            await registered.wait()
        say("backend ready")
        await asyncio.get_running_loop().create_future()  # until killed

    asyncio.run(run())


if __name__ == "__main__":
    main()
