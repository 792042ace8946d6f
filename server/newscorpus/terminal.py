"""Terminal output for the CLI: colour, aligned tables and a progress bar in a terminal, plain text when piped.

Colour follows the https://no-color.org convention: it is used only when the stream is a terminal, `NO_COLOR`
is unset (or empty) and `TERM` is not `dumb`. The progress bar redraws one stderr line and only on a terminal;
piped, nothing is drawn, so logs and scripts see clean lines.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from typing import TextIO

_CODES = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "blue": "34", "cyan": "36"}


def is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def use_color(stream: TextIO, env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return is_terminal(stream) and not env.get("NO_COLOR") and env.get("TERM") != "dumb"


class Style:
    """Wraps text in ANSI styles when enabled; the identity otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, *styles: str) -> str:
        if not self.enabled or not styles or not text:
            return text
        codes = ";".join(_CODES[s] for s in styles)
        return f"\x1b[{codes}m{text}\x1b[0m"


def table(rows: Sequence[Sequence[str]], style: Style, key_style: tuple[str, ...] = ("bold",)) -> str:
    """Left-aligned columns, the first one styled as a key; padding is computed on the plain text."""
    if not rows:
        return ""
    widths = [max(len(row[i]) for row in rows if i < len(row)) for i in range(max(len(r) for r in rows))]
    lines = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            pad = "" if i == len(row) - 1 else " " * (widths[i] - len(cell))
            cells.append((style(cell, *key_style) if i == 0 else cell) + pad)
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


class ProgressBar:
    """`[#####-----] 5/10 name` redrawn in place on a terminal; silent when `stream` is not one."""

    def __init__(self, stream: TextIO, label: str, style: Style) -> None:
        self.stream = stream
        self.label = label
        self.style = style
        self.active = is_terminal(stream)
        self.drawn = False

    def update(self, done: int, total: int, item: str = "") -> None:
        if not self.active or total <= 0:
            return
        columns = shutil.get_terminal_size((80, 20)).columns
        width = 24
        filled = round(width * done / total)
        bar = self.style("#" * filled, "green") + self.style("-" * (width - filled), "dim")
        counts = f"{done}/{total}"
        room = max(columns - width - len(self.label) - len(counts) - 6, 0)
        name = item if len(item) <= room else "…" + item[-(room - 1) :] if room > 1 else ""
        self.stream.write(f"\r\x1b[2K{self.label} [{bar}] {counts} {name}")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self.drawn = False
