"""Frontend of Autobahn's "rpc complex" example (spec: EXAMPLES.md, rpc_complex).

Reads keyword results (com.myapp.add_complex) and several positional results
(com.myapp.split_name).
"""

from autobahn.wamp.types import CallResult

from demo import Frontend, run_frontend, say, show


def call_result(res, what):
    """The call's result as a CallResult: autobahn folds a RESULT with a single positional
    value and no keywords into that value, which is not what these procedures send."""
    if not isinstance(res, CallResult):
        raise TypeError(f"{what}: expected several or keyword results, got {res!r}")
    return res


class ComplexFrontend(Frontend):
    async def main(self, details):
        res = call_result(await self.call("com.myapp.add_complex", 2, 3, 4, 5), "add_complex")
        say(f"Result: {show(res.kwresults['c'])} + {show(res.kwresults['ci'])}i")

        res = call_result(await self.call("com.myapp.split_name", "Homer Simpson"), "split_name")
        say(f"Forename: {show(res.results[0])}, Surname: {show(res.results[1])}")


if __name__ == "__main__":
    run_frontend(ComplexFrontend)
