"""A tiny in-process SMTP server that keeps what it receives (no TLS, no auth)."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message


@dataclass
class Mailbox:
    """Where the stub listens and the messages it accepted."""

    host: str
    port: int
    messages: list[Message] = field(default_factory=list)


class _Handler(socketserver.StreamRequestHandler):
    """Speak just enough SMTP for smtplib: EHLO, MAIL, RCPT, DATA, QUIT."""

    mailbox: Mailbox

    def _reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def _data(self) -> bytes:
        lines = []
        while (line := self.rfile.readline()) not in (b".\r\n", b""):
            lines.append(line[1:] if line.startswith(b"..") else line)
        return b"".join(lines)

    def handle(self) -> None:
        """Answer commands until QUIT, storing each message DATA carries."""
        self._reply("220 stub ESMTP")
        while command := self.rfile.readline().decode().strip():
            verb = command.split(" ", 1)[0].upper()
            if verb == "EHLO":
                self._reply("250 stub")
            elif verb == "DATA":
                self._reply("354 go ahead")
                self.mailbox.messages.append(message_from_bytes(self._data()))
                self._reply("250 queued")
            elif verb == "QUIT":
                self._reply("221 bye")
                return
            else:
                self._reply("250 ok")


@contextmanager
def smtp_stub() -> Iterator[Mailbox]:
    """Run the stub on a free local port for the duration of the block."""
    handler = type("Handler", (_Handler,), {})
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    mailbox = Mailbox("127.0.0.1", server.server_address[1])
    handler.mailbox = mailbox
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield mailbox
    finally:
        server.shutdown()
        server.server_close()
