"""Frontend of Autobahn's "rpc decorators" example (spec: EXAMPLES.md, rpc_decorators).

Calls com.mathservice.add2, .mul2 and .div2 with (2, 3) and prints the results.
"""

from demo import Frontend, run_frontend, say, show

PROCEDURES = ["com.mathservice.add2", "com.mathservice.mul2", "com.mathservice.div2"]


class DecoratorsFrontend(Frontend):
    async def main(self, details):
        for procedure in PROCEDURES:
            res = await self.call(procedure, 2, 3)
            say(f"{procedure}: {show(res)}")


if __name__ == "__main__":
    run_frontend(DecoratorsFrontend)
