"""Running the CLI on a pseudo-terminal, as a person at a terminal does.

The streams named in ``on_terminal`` share one pseudo-terminal (what the person sees,
``screen``); the others are pipes, as when output is redirected to a file."""

from __future__ import annotations

import fcntl
import os
import select
import struct
import subprocess
import termios
import time
from dataclasses import dataclass, field


@dataclass
class Session:
    process: subprocess.Popen[bytes]
    master: int
    screen_bytes: bytearray = field(default_factory=bytearray)

    @property
    def screen(self) -> str:
        return self.screen_bytes.decode("utf-8", errors="replace")

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return True
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # EIO: the process closed its side
            return False
        if not chunk:
            return False
        self.screen_bytes.extend(chunk)
        return True

    def expect(self, text: str, timeout: float = 120, start: int = 0) -> int:
        """Wait until ``text`` appears on the screen after position ``start``; return
        the position just after it."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.screen.find(text, start)
            if found >= 0:
                return found + len(text)
            if time.monotonic() > deadline or not self._read(0.2):
                if self.screen.find(text, start) >= 0:
                    continue
                raise AssertionError(f"{text!r} never appeared; screen:\n{self.screen[-3000:]}")

    def send(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def finish(self, timeout: float = 120) -> int:
        """Read the screen until the process has closed the terminal; its exit code."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._read(0.2):
            pass
        try:
            return self.process.wait(max(deadline - time.monotonic(), 1))
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise
        finally:
            os.close(self.master)


def start(args: list[str], env: dict[str, str],
          on_terminal: tuple[str, ...] = ("stdin", "stdout", "stderr"),
          columns: int = 100) -> Session:
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    streams = {name: (slave if name in on_terminal else subprocess.PIPE)
               for name in ("stdin", "stdout", "stderr")}
    process = subprocess.Popen(args, env={**env, "TERM": "xterm", "COLUMNS": str(columns),
                                          "INPUTRC": "/dev/null"},
                               start_new_session=True, **streams)
    os.close(slave)
    return Session(process, master)


@dataclass
class Result:
    returncode: int
    screen: str
    stdout: str
    stderr: str


def run_on_terminal(args: list[str], env: dict[str, str],
                    on_terminal: tuple[str, ...] = ("stdout", "stderr"),
                    timeout: float = 300) -> Result:
    """Run to the end; stdin is empty unless it is on the terminal."""
    session = start(args, env, on_terminal)
    process = session.process
    if process.stdin is not None:
        process.stdin.close()
    # Pipes are drained after the terminal: fine for the small outputs of these tests.
    code = session.finish(timeout)
    stdout = process.stdout.read().decode() if process.stdout else ""
    stderr = process.stderr.read().decode() if process.stderr else ""
    return Result(code, session.screen, stdout, stderr)
