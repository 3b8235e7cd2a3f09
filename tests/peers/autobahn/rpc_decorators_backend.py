"""Backend of Autobahn's "rpc decorators" example (spec: EXAMPLES.md, rpc_decorators).

Registers its methods decorated with @wamp.register in one go: com.mathservice.add2, .mul2 and
.div2.
"""

from autobahn import wamp

from demo import Backend, fail, run_backend, say


class DecoratorsBackend(Backend):
    async def setup(self, details):
        # registers every method of this object decorated with @wamp.register
        results = await self.register(self)
        for result in results:
            if isinstance(result, wamp.protocol.Registration):
                say(f"Ok, registered procedure with registration ID {result.id}")
            else:
                fail(f"Failed to register procedure: {result}")

    @wamp.register("com.mathservice.add2")
    def add2(self, x, y):
        return x + y

    @wamp.register("com.mathservice.mul2")
    def mul2(self, x, y):
        return x * y

    @wamp.register("com.mathservice.div2")
    def div2(self, x, y):
        if y:
            return float(x) / float(y)
        return 0


if __name__ == "__main__":
    run_backend(DecoratorsBackend)
