"""Backend of Autobahn's "rpc arguments" example (spec: EXAMPLES.md, rpc_arguments).

Procedures taking no, positional, defaulted keyword, and arbitrary arguments:
com.arguments.ping, .add2, .stars, .orders and .arglen.
"""

from demo import Backend, run_backend, say


class ArgumentsBackend(Backend):
    async def setup(self, details):
        def ping():
            return None

        def add2(a, b):
            return a + b

        def stars(nick="somebody", stars=0):
            return f"{nick} starred {stars}x"

        def orders(product, limit=5):
            # the product is not looked at: everybody gets the same catalogue
            return [f"Product {i}" for i in range(50)][:limit]

        def arglen(*args, **kwargs):
            return [len(args), len(kwargs)]

        await self.register(ping, "com.arguments.ping")
        await self.register(add2, "com.arguments.add2")
        await self.register(stars, "com.arguments.stars")
        await self.register(orders, "com.arguments.orders")
        await self.register(arglen, "com.arguments.arglen")
        say("Registered methods; ready for frontend.")


if __name__ == "__main__":
    run_backend(ArgumentsBackend)
