"""Control characters out of text on the way in.

A NUL or another C0/C1 control character is never news text: it comes from a binary
file, a UTF-16 file read as UTF-8, or a scraper bug. Left in, it is indexed and quoted
(a file of NULs was quoted first for unrelated questions) and it breaks tools that
stop at NUL, SQLite's ``length()`` among them. Line breaks and tabs are text, so they
stay; ``\\r\\n``, a lone ``\\r`` and NEL (U+0085) are line breaks written another
way, so each becomes ``\\n`` (a line break must not vanish and join two lines).
"""

from __future__ import annotations

from dataclasses import dataclass

_LINE_BREAKS = str.maketrans({"\r": "\n", "\x85": "\n"})
#: Every character of Unicode category Cc except tab and line feed.
_CONTROLS = dict.fromkeys([*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)])

#: Past this share of control characters a file is not text with a few stray bytes but
#: binary data or another encoding (UTF-16 read as UTF-8 is every other byte a NUL).
MOSTLY_CONTROLS = 0.1


@dataclass(frozen=True, slots=True)
class Cleaned:
    text: str
    removed: int  # control characters dropped (line breaks rewritten are not counted)

    @property
    def mostly_controls(self) -> bool:
        return self.removed > MOSTLY_CONTROLS * (len(self.text) + self.removed)


def strip_controls(text: str) -> Cleaned:
    """``text`` with CR LF, CR and NEL as LF, and every other control character except
    tab removed."""
    text = text.replace("\r\n", "\n").translate(_LINE_BREAKS)
    cleaned = text.translate(_CONTROLS)
    return Cleaned(cleaned, len(text) - len(cleaned))


def clean_field(value: str) -> str:
    """A metadata value (title, outlet, url, date) without control characters."""
    return strip_controls(value).text
