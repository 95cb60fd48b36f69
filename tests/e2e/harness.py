"""Drive the Bot API emulator (scripts/emulator/server.js) and real bot processes.

Used by the end-to-end tests and by bench/bot_latency.py. Everything talks to
127.0.0.1 only, and every wait is bounded by a deadline.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import count
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
EMULATOR_DIR = ROOT / "scripts" / "emulator"
BOT_USER = {"id": 666, "is_bot": True, "first_name": "Test First name",
            "username": "TestNameBot"}
_message_ids = count(10_000)


class HarnessError(RuntimeError):
    pass


@dataclass(frozen=True)
class FakeUser:
    id: int
    language_code: str = "en"
    first_name: str = "Tester"

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "is_bot": False, "first_name": self.first_name,
                "username": f"user{self.id}", "language_code": self.language_code}

    def private_chat(self) -> dict[str, Any]:
        return {"id": self.id, "type": "private", "first_name": self.first_name}


def group_chat(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "type": "group", "title": "Isnad test group"}


class Emulator:
    """telegram-test-api behind the shim, on a free port of 127.0.0.1."""

    def __init__(self, log: Path, startup_timeout: float = 20.0) -> None:
        self._log = log.open("wb")
        self.process = subprocess.Popen(["node", str(EMULATOR_DIR / "server.js"), "0"],
                                        cwd=EMULATOR_DIR, stdout=subprocess.PIPE,
                                        stderr=self._log)
        ready, _, _ = select.select([self.process.stdout], [], [], startup_timeout)
        line = self.process.stdout.readline() if ready else b""
        if not line:
            self.stop()
            raise HarnessError(f"the emulator did not start; see {log}")
        self.port = json.loads(line)["port"]
        self.url = f"http://127.0.0.1:{self.port}"
        self.http = httpx.Client(base_url=self.url, timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if hasattr(self, "http"):
            self.http.close()
        self._log.close()

    # -- what a user does -------------------------------------------------------------------
    def send_text(self, token: str, user: FakeUser, text: str,
                  chat: dict[str, Any] | None = None,
                  reply_to: dict[str, Any] | None = None) -> float:
        """A user's message; returns the wall-clock time it was posted."""
        message: dict[str, Any] = {"botToken": token, "from": user.as_dict(),
                                   "chat": chat or user.private_chat(),
                                   "date": int(time.time()), "text": text}
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        route = "/sendMessage"
        if text.startswith("/"):
            route = "/sendCommand"
            message["entities"] = [{"type": "bot_command", "offset": 0,
                                    "length": len(text.split()[0])}]
        posted = time.time()
        self.http.post(route, json=message).raise_for_status()
        return posted

    def press(self, token: str, user: FakeUser, message: dict[str, Any], data: str) -> float:
        """A tap on an inline button of ``message`` (a Message the bot sent)."""
        posted = time.time()
        self.http.post("/sendCallback", json={
            "botToken": token, "from": user.as_dict(), "message": message, "data": data,
        }).raise_for_status()
        return posted

    def inline_query(self, token: str, user: FakeUser, query: str) -> None:
        """The emulator has no inline mode: the shim injects the raw update."""
        update = {"inline_query": {"id": str(next(_message_ids)), "from": user.as_dict(),
                                   "query": query, "offset": ""}}
        self.http.post("/__shim/update", json={"token": token, "update": update})

    def fail_next(self, chat_id: int, error: str, method: str = "sendMessage",
                  times: int = 1) -> None:
        """Make the next ``times`` calls of ``method`` to ``chat_id`` fail like Telegram
        does: ``forbidden`` (the user blocked the bot) or ``retry_after`` (429)."""
        self.http.post("/__shim/fail", json={"chat_id": chat_id, "error": error,
                                             "method": method, "times": times})

    # -- what the bot did ------------------------------------------------------------------
    def calls(self, token: str | None = None, since: int = 0) -> list[dict[str, Any]]:
        return self._calls(token, since)[0]

    def _calls(self, token: str | None, since: int,
               wait: float = 0) -> tuple[list[dict[str, Any]], int]:
        """The calls after the ``since``-th (of ``token``), and the cursor to continue
        from; with ``wait``, the emulator holds the request until one arrives."""
        params: dict[str, Any] = {"since": since, "wait": int(wait * 1000)}
        if token:
            params["token"] = token
        reply = self.http.get("/__shim/calls", params=params,
                              timeout=wait + 10).json()
        return reply["calls"], reply["next"]

    def mark(self) -> int:
        return self._calls(None, 10**9)[1]

    def wait_for(self, check: Callable[[list[dict[str, Any]]], bool], token: str,
                 since: int = 0, timeout: float = 30.0) -> list[dict[str, Any]]:
        """Follow the call log until ``check(calls)`` holds; the calls, or an error
        naming what the bot did in the meantime."""
        deadline = time.monotonic() + timeout
        seen: list[dict[str, Any]] = []
        cursor = since
        while True:
            left = deadline - time.monotonic()
            batch, cursor = self._calls(token, cursor, wait=max(0.0, min(1.0, left)))
            seen += batch
            if check(seen):
                return seen
            if time.monotonic() > deadline:
                summary = [(c["method"], c["params"].get("chat_id")) for c in seen][-20:]
                raise HarnessError(f"timed out after {timeout:.0f} s; last calls: {summary}")

    def sent_to(self, token: str, chat_id: int, since: int = 0,
                method: str = "sendMessage") -> list[dict[str, Any]]:
        return [c for c in self.calls(token, since)
                if c["method"] == method and str(c["params"].get("chat_id")) == str(chat_id)]

    def wait_sent(self, token: str, chat_id: int, since: int = 0, n: int = 1,
                  timeout: float = 30.0, method: str = "sendMessage") -> list[dict[str, Any]]:
        def enough(calls: list[dict[str, Any]]) -> bool:
            return len([c for c in calls if c["method"] == method
                        and str(c["params"].get("chat_id")) == str(chat_id)]) >= n

        self.wait_for(enough, token, since, timeout)
        return self.sent_to(token, chat_id, since, method)


class BotProcess:
    """``python -m isnad.bot`` against the emulator, its output in a log file."""

    def __init__(self, emulator: Emulator, token: str, home: Path, log: Path,
                 env: dict[str, str] | None = None, args: list[str] | None = None) -> None:
        self.token, self.emulator, self.log_path = token, emulator, log
        environment = {k: v for k, v in os.environ.items()
                       if not k.startswith(("ISNAD_", "TELEGRAM_"))}
        environment.update({"TELEGRAM_BOT_TOKEN": token, "ISNAD_HOME": str(home),
                            "ISNAD_MODEL": "e5-small-q4", "PYTHONUNBUFFERED": "1"})
        environment.update(env or {})
        self._log = log.open("wb")
        self.mark = emulator.mark()
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "isnad.bot", "--base-url", emulator.url, *(args or [])],
            cwd=ROOT, env=environment, stdout=self._log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 120.0) -> float:
        """Seconds from launch to the first getUpdates (the bot is then answering)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise HarnessError(f"the bot exited with {self.process.returncode}:\n"
                                   + self.log_path.read_text(errors="replace")[-3000:])
            if any(c["method"] == "getUpdates"
                   for c in self.emulator.calls(self.token, self.mark)):
                return time.monotonic() - self.started
            time.sleep(0.05)
        raise HarnessError(f"the bot was not polling after {timeout:.0f} s")

    def rss_mib(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        kb = next(int(line.split()[1]) for line in status.splitlines()
                  if line.startswith("VmRSS:"))
        return kb / 1024

    def stop(self, timeout: float = 20.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # PTB stops cleanly on SIGINT
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return self.process.returncode

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")
