"""Keeping passwords out of what Isnad prints: URLs shown without their credentials,
and the secrets a URL carries, for the log filter to remove (bot/app.py).

A URL can hold a password in two places Isnad reads: a Bot API server behind HTTP basic
authentication (``http://user:password@host``) and a database URL
(``postgresql://user:password@host/db``, or ``?password=…`` in its query)."""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

#: Query parameters of a database URL that are secrets (libpq's names).
SECRET_PARAMETERS = ("password", "sslpassword")


def url_secrets(url: str | None) -> list[str]:
    """The passwords in ``url``, as written and decoded: the log filter removes both."""
    if not url:
        return []
    parts = urlsplit(url)
    found = [parts.password] if parts.password else []
    found += [value for key, value in parse_qsl(parts.query) if key in SECRET_PARAMETERS]
    return [form for secret in found for form in dict.fromkeys((secret, unquote(secret)))]


def shown_url(url: str, keep_user: bool = False) -> str:
    """``url`` as messages may show it: without the password (and, unless
    ``keep_user``, without the user name), and without a password in the query."""
    parts = urlsplit(url)
    query = parts.query
    if any(key in SECRET_PARAMETERS for key, _ in parse_qsl(query)):
        query = urlencode([(k, v) for k, v in parse_qsl(query) if k not in SECRET_PARAMETERS])
    if parts.username is None and parts.password is None and query == parts.query:
        return url
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:  # not a number: shown as written, it holds no secret
        port = None
    netloc = f"{host}:{port}" if port else host
    if keep_user and parts.username:
        netloc = f"{parts.username}@{netloc}"
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
