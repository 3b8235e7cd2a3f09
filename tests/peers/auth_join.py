"""Joins a realm with WAMP authentication, reports the outcome, and leaves.

    auth_join.py --url URL --authmethod ticket --authid ticket-user --secret ticket-secret-1

Options (besides the shared ones of peerlib: --url, --realm, --serializer, --ca, --timeout):

    --authmethod M    ticket | wampcra | cryptosign | scram | anonymous; repeat it to offer
                      several methods, in that order (HELLO.Details.authmethods)
    --authid ID       the authid to announce (optional for cryptosign and anonymous)
    --secret S        the ticket (ticket), secret (wampcra), password (scram) or Ed25519 seed
                      in hex (cryptosign); give one per --authmethod in the same order, or one
                      for all (anonymous takes none)
    --authextra JSON  extra HELLO.Details.authextra entries (merged with the authenticators')

Prints one line, then exits:

    JOINED {"authid": ..., "authmethod": ..., "authprovider": ..., "authrole": ..., "realm": ...}
        (status 0) when the router welcomed the session;
    FAILED {"reason": ..., "error": ..., "message": ...}
        (status 2) when it did not: "error" is the ABORT reason URI (or null when the
        connection failed or timed out), "message" its message, "reason" both in one string.

Uses Autobahn|Python's own authenticators (autobahn.wamp.auth.create_authenticator), so it
shows what Autobahn's client does against the router. Its SCRAM client cannot do kdf "pbkdf2"
(Autobahn 26.10 passes the base64 salt text to pbkdf2(), which raises); --scram-pbkdf2-fix
makes it use PBKDF2-HMAC-SHA256(password, base64-decoded salt, iterations) raw bytes instead.
"""

import asyncio
import base64
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import peerlib  # noqa: E402  (sets up txaio for asyncio)
from peerlib import emit, json_arg, parser  # noqa: E402

from autobahn.wamp import auth  # noqa: E402
from autobahn.wamp.types import ComponentConfig  # noqa: E402

METHODS = ("ticket", "wampcra", "cryptosign", "scram", "anonymous")


def failed(reason, error=None, message=None):
    """Prints FAILED and exits with 2 at once."""
    emit("FAILED", {"reason": reason, "error": error, "message": message})
    sys.stderr.write(f"auth_join.py: {reason}\n")
    sys.stderr.flush()
    os._exit(2)


def authenticators(args):
    """One Autobahn authenticator per --authmethod, in order."""
    methods = args.authmethod or []
    if not methods:
        raise SystemExit("give at least one --authmethod")
    secrets = args.secret or []
    needing = [m for m in methods if m != "anonymous"]
    if len(secrets) == 1:
        secrets = secrets * len(needing)
    if len(secrets) != len(needing):
        raise SystemExit("give one --secret for all methods, or one per method other than anonymous")
    secrets = iter(secrets)
    common = {}
    if args.authid is not None:
        common["authid"] = args.authid
    result = []
    for method in methods:
        if method == "anonymous":
            result.append(auth.create_authenticator("anonymous", **common))
            continue
        secret = next(secrets)
        if method == "ticket":
            result.append(auth.create_authenticator("ticket", ticket=secret, **common))
        elif method == "wampcra":
            result.append(auth.create_authenticator("wampcra", secret=secret, **common))
        elif method == "cryptosign":
            result.append(auth.create_authenticator("cryptosign", privkey=secret, **common))
        elif method == "scram":
            result.append(auth.create_authenticator("scram", password=secret, **common))
    return result


def fix_scram_pbkdf2():
    """Makes Autobahn's SCRAM client derive pbkdf2 keys as RFC 5802 does (raw PBKDF2 output)."""

    def hash_pbkdf2(password, salt, iterations):
        return auth.pbkdf2(password, base64.b64decode(salt), iterations, keylen=32)

    auth._hash_pbkdf2_secret = hash_pbkdf2


def main():
    p = parser("Joins with WAMP authentication and reports JOINED or FAILED.")
    p.add_argument("--authmethod", action="append", choices=METHODS)
    p.add_argument("--authid", default=None)
    p.add_argument("--secret", action="append")
    p.add_argument("--authextra", default=None, help="JSON object merged into HELLO authextra")
    p.add_argument("--scram-pbkdf2-fix", action="store_true")
    args = p.parse_args()
    if args.scram_pbkdf2_fix:
        fix_scram_pbkdf2()
    try:
        auths = authenticators(args)
    except ValueError as e:
        raise SystemExit(f"bad credentials: {e}")
    extra = json_arg(args.authextra, "--authextra") if args.authextra else {}

    outcome = {}

    class AuthSession(peerlib.OnceSession):
        def onConnect(self):
            authextra = {}
            for a in auths:  # reading authextra also makes the SCRAM client pick its nonce
                authextra.update(a.authextra or {})
            authextra.update(extra)
            self.join(
                self.config.realm,
                authmethods=[a.name for a in auths],
                authid=args.authid,
                authextra=authextra or None,
            )

        def onChallenge(self, challenge):
            for a in auths:
                if a.name == challenge.method:
                    return a.on_challenge(self, challenge)
            raise RuntimeError(f"challenge for a method not offered: {challenge.method}")

        def onWelcome(self, msg):
            for a in auths:
                if a.name == msg.authmethod:
                    return a.on_welcome(self, msg.authextra)
            return None

        async def onJoin(self, details):
            outcome["joined"] = {
                "authid": details.authid,
                "authrole": details.authrole,
                "authmethod": details.authmethod,
                "authprovider": details.authprovider,
                "realm": details.realm,
            }
            self.leave()

        def onLeave(self, details):
            outcome.setdefault("left", details)
            super().onLeave(details)

    def session():
        return AuthSession(ComponentConfig(realm=args.realm))

    async def runner():
        if not await peerlib.run_once(args, session, failed):
            failed(f"timed out after {args.timeout}s")

    asyncio.run(runner())
    if "joined" in outcome:
        emit("JOINED", outcome["joined"])
        sys.stdout.flush()
        os._exit(0)
    left = outcome.get("left")
    if left is None:
        failed("connection closed before the session joined")
    failed(f"{left.reason}: {left.message}", left.reason, left.message)


if __name__ == "__main__":
    main()
