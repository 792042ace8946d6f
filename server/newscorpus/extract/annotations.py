"""Load and validate the human-edited annotation files (gazetteer and curated deals).

The files are edited by hand, so every problem is reported as an `AnnotationError` that names the file,
the entry and the field: the person fixing it should not need a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from newscorpus.models import DEAL_TYPES, ENTITY_TYPES, DealType, EntityType

ENTITIES_FILE = "entities.yaml"
DEALS_FILE = "deals.yaml"


class AnnotationError(ValueError):
    """An annotation file is malformed or no longer matches the corpus; the message says where."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class GazetteerEntry(_Strict):
    """One known entity: its canonical name, type, and the other names it goes by."""

    name: str = Field(min_length=1)
    type: EntityType
    aliases: list[str] = Field(default_factory=list)
    id: str | None = Field(default=None, description="Overrides the slug of the canonical name")

    @field_validator("aliases")
    @classmethod
    def _no_empty_alias(cls, v: list[str]) -> list[str]:
        if any(not a.strip() for a in v):
            raise ValueError("aliases must not be empty strings")
        return [a.strip() for a in v]


class Gazetteer(_Strict):
    entities: list[GazetteerEntry] = Field(default_factory=list)


class QuotedFact(_Strict):
    """Anything a curated deal asserts rests on a verbatim quote from the deal's article."""

    quote: str = Field(min_length=1)
    article: str | None = Field(default=None, description="Defaults to the deal's article")


class CuratedParty(QuotedFact):
    name: str = Field(min_length=1)
    entity: str | None = Field(default=None, description="entity id; resolved from the name when omitted")
    role: str = "party"


class CuratedAmount(QuotedFact):
    text: str = Field(min_length=1, description="The amount as written; must lie inside the quote")
    role: str = Field(min_length=1)


class CuratedDate(QuotedFact):
    date: str = Field(pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$")


class CuratedLocation(QuotedFact):
    name: str = Field(min_length=1)


class CuratedDeal(_Strict):
    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    title: str = Field(min_length=1)
    type: DealType
    article: str = Field(min_length=1, description="article id or source file name of the main article")
    status: str = "announced"
    summary: str = ""
    announced: CuratedDate | None = None
    parties: list[CuratedParty] = Field(min_length=1)
    amounts: list[CuratedAmount] = Field(default_factory=list)
    locations: list[CuratedLocation] = Field(default_factory=list)
    evidence: list[QuotedFact] = Field(min_length=1)


class CuratedDeals(_Strict):
    deals: list[CuratedDeal] = Field(default_factory=list)


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise AnnotationError(f"{path}: not valid YAML: {exc}") from exc
    except OSError as exc:
        raise AnnotationError(f"{path}: cannot read: {exc}") from exc


def _entry_label(data: Any, top: str, index: int) -> str:
    try:
        item = data[top][index]
        key = item.get("id") or item.get("name")
    except (KeyError, IndexError, TypeError, AttributeError):
        key = None
    return f"{top}[{index}]" + (f" ({key})" if key else "")


def _explain(path: Path, data: Any, exc: ValidationError) -> AnnotationError:
    lines = []
    for err in exc.errors():
        loc = list(err["loc"])
        where = ".".join(str(x) for x in loc)
        if len(loc) >= 2 and isinstance(loc[1], int):
            where = _entry_label(data, str(loc[0]), loc[1]) + (
                "." + ".".join(str(x) for x in loc[2:]) if loc[2:] else ""
            )
        lines.append(f"{path}: entry {where}: {err['msg']}")
    return AnnotationError("\n".join(lines))


def load_gazetteer(annotations_dir: Path) -> Gazetteer:
    """The gazetteer, or an empty one when the corpus has none."""
    path = annotations_dir / ENTITIES_FILE
    if not path.is_file():
        return Gazetteer()
    data = _read_yaml(path) or {}
    try:
        gaz = Gazetteer.model_validate(data)
    except ValidationError as exc:
        raise _explain(path, data, exc) from None
    seen: dict[str, str] = {}
    for i, entry in enumerate(gaz.entities):
        for label in (entry.name, *entry.aliases):
            key = label.casefold()
            if key in seen and seen[key] != entry.name:
                raise AnnotationError(
                    f"{path}: entry entities[{i}] ({entry.name}): field aliases: "
                    f"{label!r} is already a name of {seen[key]!r}"
                )
            seen[key] = entry.name
    return gaz


def load_curated_deals(annotations_dir: Path) -> CuratedDeals:
    """The curated deals, or none when the corpus has no deals file."""
    path = annotations_dir / DEALS_FILE
    if not path.is_file():
        return CuratedDeals()
    data = _read_yaml(path) or {}
    try:
        deals = CuratedDeals.model_validate(data)
    except ValidationError as exc:
        raise _explain(path, data, exc) from None
    ids = [d.id for d in deals.deals]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise AnnotationError(f"{path}: deal ids must be unique; repeated: {', '.join(dupes)}")
    for d in deals.deals:
        for j, amount in enumerate(d.amounts):
            if amount.text not in amount.quote:
                raise AnnotationError(
                    f"{path}: deal {d.id}: field amounts[{j}].text: {amount.text!r} is not inside its quote "
                    f"{amount.quote!r}"
                )
    return deals


__all__ = [
    "DEAL_TYPES",
    "ENTITY_TYPES",
    "AnnotationError",
    "CuratedDeal",
    "CuratedDeals",
    "Gazetteer",
    "GazetteerEntry",
    "load_curated_deals",
    "load_gazetteer",
]
