"""Plain-text tables for a terminal: columns aligned by display width.

Widths are counted as the terminal draws them (Arabic diacritics take no cell, CJK
two), and each cell that holds Arabic is wrapped in Unicode isolates, so a terminal
that lays out right-to-left text keeps every cell in its column instead of reordering
neighbouring Arabic cells as one run.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len, set_cell_size

from isnad.retrieval import has_arabic

FSI, PDI = "\u2068", "\u2069"
BOLD, RESET = "\x1b[1m", "\x1b[0m"
GAP = "  "


def _cut(text: str, width: int) -> str:
    if cell_len(text) <= width:
        return text
    return set_cell_size(text, max(width - 1, 0)).rstrip() + "…"


def format_table(rows: Sequence[Sequence[str]], headers: Sequence[str] | None = None,
                 width: int = 100, bold: bool = True) -> str:
    """``rows`` as aligned columns; the last column is cut (with …) to fit ``width``;
    ``headers`` in bold unless ``bold`` is false (NO_COLOR)."""
    table = [list(headers)] if headers else []
    table += [list(row) for row in rows]
    if not table:
        return ""
    columns = len(table[0])
    widths = [max(cell_len(row[i]) for row in table) for i in range(columns - 1)]
    room = max(width - sum(widths) - len(GAP) * (columns - 1), 10)
    lines = []
    for number, row in enumerate(table):
        cells = [cell + " " * (widths[i] - cell_len(cell)) for i, cell in enumerate(row[:-1])]
        cells.append(_cut(row[-1], room))
        cells = [FSI + cell + PDI if has_arabic(cell) else cell for cell in cells]
        line = GAP.join(cells).rstrip()
        lines.append(BOLD + line + RESET if bold and headers and number == 0 else line)
    return "\n".join(lines)
