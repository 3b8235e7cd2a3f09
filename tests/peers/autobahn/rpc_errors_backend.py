"""Backend of Autobahn's "rpc errors" example (spec: EXAMPLES.md, rpc_errors).

com.myapp.sqrt raises plain Python exceptions (they reach the caller as
wamp.error.runtime_error), com.myapp.checkname raises WAMP application errors with positional
or keyword arguments, and com.myapp.compare raises an exception class mapped to a WAMP error
URI (com.myapp.error1).
"""

import math

from autobahn import wamp
from autobahn.wamp.exception import ApplicationError

from demo import Backend, run_backend

ERROR1 = "com.myapp.error1"


@wamp.error(ERROR1)
class AppError1(Exception):
    """An application exception carrying a WAMP error URI, mapped by autobahn."""


class ErrorsBackend(Backend):
    async def setup(self, details):
        def sqrt(x):
            if x == 0:
                raise Exception("don't ask foolish questions;)")
            if x < 0:
                # What math.sqrt raises up to Python 3.13 (3.14 words it differently): kept
                # explicit so that the error on the wire does not depend on the Python version.
                raise ValueError("math domain error")
            return math.sqrt(x)

        await self.register(sqrt, "com.myapp.sqrt")

        def checkname(name):
            if name in ["foo", "bar"]:
                raise ApplicationError("com.myapp.error.reserved")

            if name.lower() != name.upper():
                # positional arguments in the error (note: true for any name with a letter)
                raise ApplicationError("com.myapp.error.mixed_case", name.lower(), name.upper())

            if len(name) < 3 or len(name) > 10:
                # keyword arguments in the error
                raise ApplicationError("com.myapp.error.invalid_length", min=3, max=10)

        await self.register(checkname, "com.myapp.checkname")

        # exceptions of this class raised in procedures go out as com.myapp.error1
        self.define(AppError1)

        def compare(a, b):
            if a < b:
                raise AppError1(b - a)

        await self.register(compare, "com.myapp.compare")


if __name__ == "__main__":
    run_backend(ErrorsBackend)
