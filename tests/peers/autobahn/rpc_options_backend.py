"""Backend of Autobahn's "rpc options" example (spec: EXAMPLES.md, rpc_options).

com.myapp.square(val) gets the call details (the caller's session id, disclosed by the router)
and, for a non-positive val, publishes val to com.myapp.square_on_nonpositive: for val == 0
excluding the caller from that event, for val < 0 to every subscriber.
"""

from autobahn.wamp.types import PublishOptions, RegisterOptions

from demo import Backend, run_backend, say, show


class OptionsBackend(Backend):
    async def setup(self, details):
        def square(val, details=None):
            say(f"square called from: {show(details.caller)}")

            if val < 0:
                self.publish("com.myapp.square_on_nonpositive", val)
            elif val == 0:
                if details.caller:
                    options = PublishOptions(exclude=[details.caller])
                else:
                    options = None
                self.publish("com.myapp.square_on_nonpositive", val, options=options)
            return val * val

        await self.register(square, "com.myapp.square", RegisterOptions(details_arg="details"))


if __name__ == "__main__":
    run_backend(OptionsBackend)
