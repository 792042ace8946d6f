"""Cleaned lines → passages (the citable units): paragraphs with the headings that head them.

A paragraph is a line when a page puts one paragraph per line (seed 000 style) or a blank-line block
(hard-wrapped text is recognised and kept together). Headings and salutations (`…, liebe Leser,`) join
the paragraph after them; a run of list items stays together with the `…:` line that introduces it.
Lines are never rewritten, so each line of a passage is a verbatim piece of the source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from newscorpus.ingest.clean import Line, is_headline, words

WRAP_WIDTH = 100  # blocks whose lines all stay under this look hard-wrapped, not one paragraph per line

_LIST_ITEM = re.compile(r"^(?:[-*•–]|\d{1,2}[.)])\s+\S")
_SENTENCE_END = re.compile(r"[.!?…:\"“”»«)]$")


@dataclass
class Unit:
    text: str
    kind: Literal["heading", "item", "para"]
    block: int


def _blocks(lines: list[Line]) -> list[list[Line]]:
    blocks: list[list[Line]] = [[]]
    for line in lines:
        if line.text:
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    return [b for b in blocks if b]


def _is_wrapped(block: list[Line]) -> bool:
    """Several short lines that mostly stop mid-sentence: one hard-wrapped paragraph."""
    texts = [line.text for line in block]
    if len(texts) < 3 or any(line.heading or _LIST_ITEM.match(line.text) for line in block):
        return False
    if max(len(t) for t in texts) > WRAP_WIDTH:
        return False
    open_ends = sum(not _SENTENCE_END.search(t) for t in texts[:-1])
    return open_ends * 2 >= len(texts) - 1


def _units(lines: list[Line]) -> list[Unit]:
    units: list[Unit] = []
    for b, block in enumerate(_blocks(lines)):
        if _is_wrapped(block):
            units.append(Unit("\n".join(line.text for line in block), "para", b))
            continue
        for line in block:
            if line.heading or is_headline(line.text):
                kind: Literal["heading", "item", "para"] = "heading"
            elif _LIST_ITEM.match(line.text):
                kind = "item"
            else:
                kind = "para"
            units.append(Unit(line.text, kind, b))
    return units


def _is_salutation(unit: Unit) -> bool:
    return unit.kind == "para" and unit.text.endswith(",") and len(words(unit.text)) <= 15


def _only_items(units: list[Unit], block: int) -> bool:
    members = [u for u in units if u.block == block]
    return len(members) >= 2 and all(u.kind == "item" for u in members)


def segment(lines: list[Line]) -> list[str]:
    """Group units into passages; a trailing heading with nothing after it stays a passage of its own."""
    units = _units(lines)
    passages: list[str] = []
    pending: list[str] = []
    i = 0
    while i < len(units):
        unit = units[i]
        if unit.kind == "heading" or _is_salutation(unit):
            pending.append(unit.text)
            i += 1
            continue
        group = [unit.text]
        j = i + 1
        lead_in = unit.kind == "para" and unit.text.endswith(":")
        if unit.kind == "item" or lead_in:
            block = unit.block
            if lead_in and j < len(units) and units[j].block != block and _only_items(units, units[j].block):
                block = units[j].block  # Markdown style: a blank line between the lead-in and its list
            while j < len(units) and units[j].kind == "item" and units[j].block in (unit.block, block):
                group.append(units[j].text)
                j += 1
        passages.append("\n".join([*pending, *group]))
        pending = []
        i = j
    if pending:
        passages.append("\n".join(pending))
    return passages
