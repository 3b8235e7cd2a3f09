"""Backend of Autobahn's "retained events" example (spec: EXAMPLES.md, pubsub_retained).

Publishes one retained, acknowledged event to each of com.example.history and
com.example.no_history_here (as examples/twisted/wamp/pubsub/retained/backend.py does), then
stays joined.
"""

from autobahn.wamp.types import PublishOptions

from demo import Backend, run_backend, say

TOPICS = ["com.example.history", "com.example.no_history_here"]


class PubSubRetainedBackend(Backend):
    async def setup(self, details):
        for topic in TOPICS:
            publication = await self.publish(
                topic,
                "some data, topic was '{}'".format(topic),
                options=PublishOptions(retain=True, acknowledge=True),
            )
            say(f"published '{topic}' as retained event with publication ID {publication.id}")


if __name__ == "__main__":
    run_backend(PubSubRetainedBackend)
