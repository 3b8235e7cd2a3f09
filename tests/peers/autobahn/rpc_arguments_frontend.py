"""Frontend of Autobahn's "rpc arguments" example (spec: EXAMPLES.md, rpc_arguments).

Calls the com.arguments.* procedures with no, positional and keyword arguments, in order.
"""

from demo import Frontend, run_frontend, say, show


class ArgumentsFrontend(Frontend):
    async def main(self, details):
        await self.call("com.arguments.ping")
        say("Pinged!")

        res = await self.call("com.arguments.add2", 2, 3)
        say(f"Add2: {show(res)}")

        starred = await self.call("com.arguments.stars")
        say(f"Starred 1: {show(starred)}")

        starred = await self.call("com.arguments.stars", nick="Homer")
        say(f"Starred 2: {show(starred)}")

        starred = await self.call("com.arguments.stars", stars=5)
        say(f"Starred 3: {show(starred)}")

        starred = await self.call("com.arguments.stars", nick="Homer", stars=5)
        say(f"Starred 4: {show(starred)}")

        orders = await self.call("com.arguments.orders", "coffee")
        say(f"Orders 1: {show(orders)}")

        orders = await self.call("com.arguments.orders", "coffee", limit=10)
        say(f"Orders 2: {show(orders)}")

        arglengths = await self.call("com.arguments.arglen")
        say(f"Arglen 1: {show(arglengths)}")

        arglengths = await self.call("com.arguments.arglen", 1, 2, 3)
        say(f"Arglen 2: {show(arglengths)}")

        arglengths = await self.call("com.arguments.arglen", a=1, b=2, c=3)
        say(f"Arglen 3: {show(arglengths)}")

        arglengths = await self.call("com.arguments.arglen", 1, 2, 3, a=1, b=2, c=3)
        say(f"Arglen 4: {show(arglengths)}")


if __name__ == "__main__":
    run_frontend(ArgumentsFrontend)
