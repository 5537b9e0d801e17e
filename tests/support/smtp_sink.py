"""A real SMTP server (aiosmtpd) for aiwire's mail integration tests, on 127.0.0.1 only.

Writes every accepted message to OUTDIR/N.eml (bytes as received) and OUTDIR/N.json
(envelope sender and recipients). Misbehaves on purpose for some recipients:

  tempfail-K@...   answers 451 to RCPT for the first K attempts, then accepts
  reject@...       answers 550 to RCPT, always
  any recipient    waits in RCPT while OUTDIR/hold exists, after writing OUTDIR/holding (lets
                   a test kill the client while a delivery is in flight, before the server
                   accepted anything)

Modes: plain (no TLS), starttls (STARTTLS required before AUTH/MAIL), implicit (TLS from the
first byte). With --auth, AUTH PLAIN/LOGIN with user "digest", password "secret" is required.
Prints "listening 127.0.0.1:PORT" once ready; exits cleanly on SIGTERM.
"""

import argparse
import asyncio
import itertools
import json
import pathlib
import signal
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Handler:
    def __init__(self, out):
        self.out = out
        self.counter = itertools.count(1)
        self.attempts = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if (self.out / "hold").exists():
            (self.out / "holding").write_text(address)
            while (self.out / "hold").exists():
                await asyncio.sleep(0.05)
        local = address.split("@", 1)[0]
        if local == "reject":
            return "550 5.1.1 mailbox unavailable (on purpose)"
        if local.startswith("tempfail-"):
            limit = int(local.split("-", 1)[1])
            seen = self.attempts.get(address, 0)
            self.attempts[address] = seen + 1
            if seen < limit:
                return "451 4.3.0 try again later (on purpose)"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        n = next(self.counter)
        data = envelope.original_content or envelope.content
        (self.out / f"{n}.eml.tmp").write_bytes(data)
        (self.out / f"{n}.json").write_text(
            json.dumps({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos})
        )
        (self.out / f"{n}.eml.tmp").rename(self.out / f"{n}.eml")
        return "250 OK"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == b"digest"
        and auth_data.password == b"secret"
    )
    # handled=False: aiosmtpd then sends the 535 itself (handled=True would send nothing).
    return AuthResult(success=ok, handled=False, auth_data=auth_data)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--mode", choices=["plain", "starttls", "implicit"], default="plain")
    p.add_argument("--auth", action="store_true")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--outdir", required=True)
    a = p.parse_args()
    out = pathlib.Path(a.outdir)
    out.mkdir(parents=True, exist_ok=True)
    kw = dict(hostname="127.0.0.1", port=a.port)
    if a.auth:
        kw.update(authenticator=authenticator, auth_required=True)
    kw.update(auth_require_tls=(a.mode == "starttls"))
    if a.mode != "plain":
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.cert, a.key)
        if a.mode == "starttls":
            kw.update(tls_context=ctx, require_starttls=True)
        else:
            kw.update(ssl_context=ctx)
    ctrl = Controller(Handler(out), **kw)
    ctrl.start()
    print(f"listening 127.0.0.1:{a.port}", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait()
    ctrl.stop()
    sys.exit(0)


if __name__ == "__main__":
    main()
