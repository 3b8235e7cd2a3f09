"""Frontend of Autobahn's "rpc errors" example (spec: EXAMPLES.md, rpc_errors).

Calls com.myapp.sqrt, com.myapp.checkname and com.myapp.compare with arguments that make them
fail, and prints each result or error (URI, args, kwargs).
"""

from autobahn import wamp
from autobahn.wamp.exception import ApplicationError

from demo import Frontend, application_error_line, error_line, run_frontend, say, show

ERROR1 = "com.myapp.error1"


@wamp.error(ERROR1)
class AppError1(Exception):
    """What autobahn raises, once defined, for a com.myapp.error1 error reply."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args)
        self.kwargs = kwargs


class ErrorsFrontend(Frontend):
    async def main(self, details):
        # standard exceptions raised in the callee
        for x in [2, 0, -2]:
            what = f"sqrt({show(x)})"
            try:
                res = await self.call("com.myapp.sqrt", x)
            except ApplicationError as e:
                say(application_error_line(what, e))
            else:
                say(f"{what}: {show(res)}")

        # WAMP application errors, with positional or keyword arguments
        for name in ["foo", "a", "*" * 11, "Hello"]:
            what = f"checkname({show(name)})"
            try:
                res = await self.call("com.myapp.checkname", name)
            except ApplicationError as e:
                say(application_error_line(what, e))
            else:
                say(f"{what}: {show(res)}")

        # an error URI mapped to an exception class
        self.define(AppError1)
        what = "compare(3, 17)"
        try:
            res = await self.call("com.myapp.compare", 3, 17)
        except AppError1 as e:
            say(error_line(what, ERROR1, e.args, e.kwargs))
        except ApplicationError as e:
            say(application_error_line(what, e))
        else:
            say(f"{what}: {show(res)}")


if __name__ == "__main__":
    run_frontend(ErrorsFrontend)
