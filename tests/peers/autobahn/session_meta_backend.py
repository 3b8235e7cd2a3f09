"""Backend of the "session meta" example (spec: EXAMPLES.md, session_meta).

A worker session leaves a testament (com.myapp.worker_gone); the main session registers
com.myapp.worker(), which returns the worker's session id.
"""

import asyncio

from autobahn.asyncio.wamp import ApplicationRunner, ApplicationSession

from demo import REALM, ROUTER, Backend, run_backend


class Worker(ApplicationSession):
    """The worker session: sets its testament, then waits to be killed (not a failure)."""

    joined = None

    async def onJoin(self, details):
        await self.call("wamp.session.add_testament", "com.myapp.worker_gone", ["worker gone"], {})
        Worker.joined.set_result(details.session)


class SessionMetaBackend(Backend):
    async def setup(self, details):
        Worker.joined = asyncio.get_running_loop().create_future()
        await ApplicationRunner(ROUTER, REALM).run(Worker, start_loop=False)
        worker = await asyncio.wait_for(Worker.joined, 30)

        def worker_id():
            return worker

        await self.register(worker_id, "com.myapp.worker")


if __name__ == "__main__":
    run_backend(SessionMetaBackend)
