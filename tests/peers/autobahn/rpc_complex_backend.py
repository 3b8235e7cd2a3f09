"""Backend of Autobahn's "rpc complex" example (spec: EXAMPLES.md, rpc_complex).

com.myapp.add_complex answers with keyword results only, com.myapp.split_name with two
positional results.
"""

from autobahn.wamp.types import CallResult

from demo import Backend, run_backend


class ComplexBackend(Backend):
    async def setup(self, details):
        def add_complex(a, ai, b, bi):
            return CallResult(c=a + b, ci=ai + bi)

        await self.register(add_complex, "com.myapp.add_complex")

        def split_name(fullname):
            forename, surname = fullname.split()
            return CallResult(forename, surname)

        await self.register(split_name, "com.myapp.split_name")


if __name__ == "__main__":
    run_backend(ComplexBackend)
