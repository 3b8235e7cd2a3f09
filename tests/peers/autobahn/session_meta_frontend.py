"""Frontend of the "session meta" example (spec: EXAMPLES.md, session_meta).

Looks itself and the backend's worker session up in the session meta API, counts the callees
of com.myapp.worker, kills the worker and waits for its on_leave event and its testament.
"""

import asyncio

from demo import Frontend, run_frontend, say, show, within


class SessionMetaFrontend(Frontend):
    async def main(self, details):
        me = await self.call("wamp.session.get", details.session)
        say(f"Me: realm={me['realm']} authrole={me['authrole']} authmethod={me['authmethod']}")
        worker = await self.call("com.myapp.worker")
        info = await self.call("wamp.session.get", worker)
        say(f"Worker: authrole={info['authrole']}")
        registration = await self.call("wamp.registration.lookup", "com.myapp.worker")
        count = await self.call("wamp.registration.count_callees", registration)
        say(f"Callees of com.myapp.worker: {show(count)}")

        left = asyncio.get_running_loop().create_future()
        testament = asyncio.get_running_loop().create_future()

        def on_leave(session, *rest, **kwargs):
            if session == worker and not left.done():
                left.set_result(None)

        def on_testament(text):
            if not testament.done():
                testament.set_result(text)

        await self.subscribe(on_leave, "wamp.session.on_leave")
        await self.subscribe(on_testament, "com.myapp.worker_gone")
        await self.call("wamp.session.kill", worker)
        say("Killed the worker")
        await within(10, left, "the worker's on_leave event")
        text = await within(10, testament, "the worker's testament")
        say("Left: the worker")
        say(f"Testament: {show(text)}")


if __name__ == "__main__":
    run_frontend(SessionMetaFrontend)
