"""Links that open an article in the bot: ``https://t.me/<bot>?start=<payload>``.

An attribution without a web link names the article by id; the id links here, so a
tap opens the bot on ``/start <payload>``, which shows the article (``/article ID``).

Telegram allows 1–64 characters ``A-Z a-z 0-9 _ -`` in a start payload, while an
article id may hold Arabic letters, ``.`` and ``:`` and be 128 characters long. So:

    article_<id>            when the id itself fits (the bundled ids do)
    article64_<base64url>   the id's UTF-8, unpadded, when that fits
    (no link)               otherwise: the id is shown to be typed after /article
"""

from __future__ import annotations

import base64
import binascii
import re

PLAIN, ENCODED = "article_", "article64_"
_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")


def start_payload(article_id: str) -> str | None:
    plain = PLAIN + article_id
    if _PAYLOAD.fullmatch(plain):
        return plain
    encoded = ENCODED + base64.urlsafe_b64encode(article_id.encode()).decode().rstrip("=")
    return encoded if _PAYLOAD.fullmatch(encoded) else None


def article_link(bot_username: str | None, article_id: str) -> str | None:
    """The deep link to ``article_id``, or None (no bot username yet, or an id that
    fits no payload)."""
    payload = start_payload(article_id) if bot_username else None
    return f"https://t.me/{bot_username}?start={payload}" if payload else None


def article_id_from(payload: str) -> str | None:
    """The article id a start payload names, or None when it names none."""
    if payload.startswith(ENCODED):
        data = payload[len(ENCODED):]
        try:
            decoded = base64.b64decode(data + "=" * (-len(data) % 4), altchars=b"-_",
                                       validate=True).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        return decoded or None
    if payload.startswith(PLAIN):
        return payload[len(PLAIN):] or None
    return None
