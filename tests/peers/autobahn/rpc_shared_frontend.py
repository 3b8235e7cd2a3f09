"""Frontend of the "shared registrations" example (spec: EXAMPLES.md, rpc_shared).

Autobahn|Python has no example of this. Calls com.example.shared.whoami six times, printing
who answered, then tries to register it with invoke="single" (refused by the router) and
leaves.
"""

from autobahn.wamp.exception import ApplicationError
from autobahn.wamp.types import RegisterOptions

from demo import Frontend, application_error_line, fail, run_frontend, say, show, within

CALLS = 6


class RpcSharedFrontend(Frontend):
    async def main(self, details):
        for _ in range(CALLS):
            name = await within(10, self.call("com.example.shared.whoami"), "an answer")
            if not isinstance(name, str):
                fail(f"com.example.shared.whoami returned {show(name)}, not a string")
            say(f"call answered by: {show(name)}")
        try:
            await self.register(
                lambda: None, "com.example.shared.whoami", options=RegisterOptions(invoke="single")
            )
        except ApplicationError as e:
            say(application_error_line("register with invoke single", e))
        else:
            fail("registering with invoke single was accepted")


if __name__ == "__main__":
    run_frontend(RpcSharedFrontend)
