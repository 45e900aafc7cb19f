"""The server: uvicorn with the bounded protocol, TLS, and a shutdown that always fits the drain time.

On SIGTERM the task first keeps accepting, answering `/health` with 503 and every response with
`Connection: close`, while requests still arrive (the load balancer may send some until it has
deregistered the task). Once no request has arrived for a moment, or when only the time to finish requests
is left, it stops accepting, lets requests in flight finish within their deadline and exits 0. The whole
shutdown takes at most `DRAIN_SECONDS`, which the task definition keeps shorter than ECS's stop timeout.
A second signal skips straight to the last phase.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import uvicorn

from payments_service.app import ServiceState
from payments_service.config import ServiceConfig
from payments_service.protocol import protocol_class
from payments_service.telemetry import Telemetry
from payments_service.tls import self_signed_context

LISTEN_BACKLOG = 1024


class PaymentsServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, *, service: ServiceConfig, state: ServiceState,
                 telemetry: Telemetry) -> None:  # fmt: skip
        super().__init__(config)
        self.service, self.state, self.telemetry = service, state, telemetry
        self.drained_cleanly = False

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # Through the event loop, not signal.signal: a Python-level handler runs wherever the main thread was
        # interrupted, e.g. inside a log write holding the log's lock, and logging from it there deadlocks.
        # (uvicorn's own handler also re-raises the signal after shutdown, ending the process with 143, not 0.)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._on_signal)
        try:
            yield
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)

    def _on_signal(self) -> None:
        if self.state.draining:
            self.should_exit = True
            return
        self.state.start_draining()
        self.telemetry.log("INFO", "draining", accept_seconds=self.service.accept_seconds,
                           finish_seconds=self.service.finish_seconds)  # fmt: skip

    async def on_tick(self, counter: int) -> bool:
        if self.state.draining and not self.should_exit:
            now = time.monotonic()
            quiet = now - max(self.state.last_request, self.state.drain_started) >= self.service.drain_quiet_seconds
            if quiet or now - self.state.drain_started >= self.service.accept_seconds:
                self.should_exit = True
        return await super().on_tick(counter)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        port = sockets[0].getsockname()[1] if sockets else self.service.port
        self.telemetry.log("INFO", "listening", port=port, client_auth=self.service.client_auth.value,
                           ledger=self.service.ledger.partition(":")[0])  # fmt: skip

    async def _wait_tasks_to_complete(self) -> None:
        """Wait for the requests in flight and their answers' delivery, then close what is left at once.

        uvicorn waits for every connection to close first; an idle keep-alive connection whose peer never
        answers TLS close_notify would hold the shutdown until its timeout, and count as an unclean exit
        although no request was in it.
        """
        state = self.server_state
        while (state.tasks or any(unsent(connection) for connection in state.connections)) and not self.force_exit:
            await asyncio.sleep(0.05)
        self.drained_cleanly = not self.force_exit  # not reached when uvicorn's graceful-shutdown timeout cancels this
        for connection in list(state.connections):
            connection.transport.abort()  # idle: every answer has been delivered to the socket


def unsent(connection: Any) -> int:
    """Bytes of an answer not yet handed to the kernel's socket buffer, which still sends them after a close."""
    return int(connection.transport.get_write_buffer_size())


def listening_socket(config: ServiceConfig) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((config.bind_address, config.port))
    sock.listen(LISTEN_BACKLOG)
    sock.set_inheritable(True)
    return sock


def serve(config: ServiceConfig, app: Any, state: ServiceState, telemetry: Telemetry) -> bool:
    """Run until shut down; True if every request in flight finished."""
    tls = self_signed_context(Path(config.tls_dir))
    server_config = uvicorn.Config(
        app,
        http=protocol_class(config, telemetry),
        ssl_context_factory=lambda _config, _default: tls,
        timeout_keep_alive=int(config.keep_alive_seconds),
        # Requests are cut at their deadline before this ends; together with the accept phase, within the drain.
        timeout_graceful_shutdown=config.finish_seconds - 0.3,  # type: ignore[arg-type]
        lifespan="off",
        access_log=False,
        server_header=False,
        log_config=None,
        log_level="warning",
    )
    server = PaymentsServer(server_config, service=config, state=state, telemetry=telemetry)
    server.run(sockets=[listening_socket(config)])
    return server.drained_cleanly
