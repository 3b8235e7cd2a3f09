"""Backend of Autobahn's "rpc timeservice" example (spec: EXAMPLES.md, rpc_timeservice).

Registers com.timeservice.now: the current UTC time as a string, e.g. "2025-01-31T12:34:56Z".
"""

import datetime

from demo import Backend, run_backend


class TimeServiceBackend(Backend):
    async def setup(self, details):
        def utcnow():
            now = datetime.datetime.now(datetime.timezone.utc)
            return now.strftime("%Y-%m-%dT%H:%M:%SZ")

        await self.register(utcnow, "com.timeservice.now")


if __name__ == "__main__":
    run_backend(TimeServiceBackend)
