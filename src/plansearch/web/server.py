"""Serving the app: in the foreground for `plansearch serve`, or in a background thread for the
browser tests, the benchmark and the screenshot script (a real HTTP server on a free port)."""
from __future__ import annotations

import ipaddress
import socket
import threading
import time

from ..models import PlansearchError


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_port(host: str, port: int) -> None:
    """Fail in one line, before the index is loaded, when the port cannot be bound."""
    if not 1 <= port <= 65535:
        raise PlansearchError(f"--port must be between 1 and 65535, not {port}")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except socket.gaierror:
            raise PlansearchError(f"--host {host}: not an address of this machine") from None
        except OSError as e:
            raise PlansearchError(f"cannot listen on {host}:{port} ({e.strerror or e}); "
                                  f"choose another port with --port") from None


def serve(app, host: str = "127.0.0.1", port: int = 8765) -> None:
    import uvicorn

    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


class BackgroundServer:
    """uvicorn in a daemon thread on a free port of 127.0.0.1; `url` once started.

        with BackgroundServer(app) as url: ...
    """

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0):
        import uvicorn

        if port == 0:
            with socket.socket() as s:
                s.bind((host, 0))
                port = s.getsockname()[1]
        self.url = f"http://{host}:{port}"
        config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="plansearch-web", daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the web app did not start on {self.url}")
            time.sleep(0.02)
        return self.url

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
