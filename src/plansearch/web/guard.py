"""The web app's trust boundary, one ASGI middleware in front of every route:

- Host: only the names the server was started for are answered. A page on another site that
  rebinds its own DNS name to 127.0.0.1 (DNS rebinding) would otherwise read the whole index
  through the user's browser; its requests carry its own name as Host and get 400.
- Origin: a request that changes state (POST: the 查重 upload) from another origin is refused
  (403), so a page elsewhere cannot make the user's browser post to the app. Browsers send Origin
  on every POST; a client with neither Origin nor Referer is not a browser and is let through.
- Body: a request whose body stops arriving (shorter than its Content-Length) is answered 408
  after `body_timeout` seconds instead of holding a worker open.

Refusals are one plain line in the request's language (the PageLanguage middleware sets it)."""
from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

import anyio

from ..i18n import _

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
BODY_TIMEOUT = 30.0  # seconds a request may wait between two parts of its body
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def host_names(host: str, extra: Iterable[str] = ()) -> tuple[str, ...]:
    """The Host header values the app answers when it listens on `host`: the loopback names, the
    address itself, and for an all-interfaces bind (0.0.0.0, ::) this machine's name and
    addresses; `extra` adds names a proxy or a LAN uses (serve --allow-host)."""
    names = list(LOOPBACK_NAMES)
    names.append(f"[{host}]" if ":" in host else host)
    try:
        unspecified = ipaddress.ip_address(host).is_unspecified
    except ValueError:
        unspecified = False
    if unspecified:
        hostname = socket.gethostname()
        names += [hostname, socket.getfqdn()]
        try:
            names += socket.gethostbyname_ex(hostname)[2]
        except OSError:
            pass
    names += [n.strip() for n in extra if n.strip()]
    return tuple(dict.fromkeys(n.lower() for n in names))


def _host_only(value: str) -> str:
    """'127.0.0.1:8765' -> '127.0.0.1'; '[::1]:8765' -> '[::1]'."""
    value = value.strip().lower()
    if value.startswith("["):
        return value.split("]", 1)[0] + "]"
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class BodyTimeout(Exception):
    pass


class RequestGuard:
    def __init__(self, app, allowed_hosts: Iterable[str] = LOOPBACK_NAMES, body_timeout: float = BODY_TIMEOUT):
        self.app = app
        self.allowed = frozenset(h.lower() for h in allowed_hosts)
        self.body_timeout = body_timeout

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = headers.get("host", "")
        if _host_only(host) not in self.allowed:
            return await _refuse(send, 400, _("this address ({host}) is not one the app was started for; "
                                              "start it with plansearch serve --allow-host NAME to add it")
                                 .format(host=host or "?"))
        if scope["method"] not in SAFE_METHODS:
            source = headers.get("origin") or headers.get("referer")
            if source is not None and (source == "null" or urlsplit(source).netloc.lower() != host.lower()):
                return await _refuse(send, 403, _("refused: the request came from another site ({origin})")
                                     .format(origin=source))
        started = False

        async def timed_receive():
            try:
                with anyio.fail_after(self.body_timeout):
                    return await receive()
            except TimeoutError:
                raise BodyTimeout from None

        async def watched_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, timed_receive, watched_send)
        except BodyTimeout:
            if not started:
                await _refuse(send, 408, _("the request's body stopped arriving; try again"))


async def _refuse(send, status: int, message: str) -> None:
    body = (message + "\n").encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
