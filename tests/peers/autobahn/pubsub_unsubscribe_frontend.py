"""Frontend of Autobahn's "pubsub unsubscribe" example (spec: EXAMPLES.md, pubsub_unsubscribe).

Two runs: subscribe to com.myapp.topic1, take 5 events, unsubscribe; pause 2 seconds between
the runs (Autobahn's original pauses 5), leave after the second.
"""

import asyncio

from demo import Frontend, run_frontend, say, show, within

EVENTS = 5
RUNS = 2
PAUSE_SECONDS = 2


class PubSubUnsubscribeFrontend(Frontend):
    async def main(self, details):
        for run in range(1, RUNS + 1):
            enough = asyncio.Event()
            received = 0
            # An EVENT right behind SUBSCRIBED reaches on_event before the awaited subscribe
            # resumes: its line waits until "Subscribed ..." is printed.
            early = []

            def on_event(i):
                nonlocal received
                if enough.is_set():
                    return  # unsubscribing already
                line = f"Got event: {show(i)}"
                if early is None:
                    say(line)
                else:
                    early.append(line)
                received += 1
                if received >= EVENTS:
                    enough.set()

            subscription = await self.subscribe(on_event, "com.myapp.topic1")
            say(f"Subscribed with subscription ID {subscription.id}")
            for line in early:
                say(line)
            early = None
            await within(EVENTS + 10, enough.wait(), f"{EVENTS} events on com.myapp.topic1")
            if run < RUNS:
                await subscription.unsubscribe()
                say(f"Unsubscribed .. continue in {PAUSE_SECONDS}s ..")
                await asyncio.sleep(PAUSE_SECONDS)


if __name__ == "__main__":
    run_frontend(PubSubUnsubscribeFrontend)
