"""Tool output schemas published without `$ref`s.

pydantic writes a nested model once under `$defs` and points at it with `{"$ref": "#/$defs/Name"}` from
every place it is used. A client that validates each result against the schema resolves those pointers
per value: the Python SDK's client (`jsonschema`) spends about two thirds of its validation of a
`search_articles` page on them (4.5 ms against 1.5 ms with the definitions written in place, 10 hits
of 3 passages). Written in place, the schema says the same and needs no resolver to read.
"""

from __future__ import annotations

from typing import Any

LOCAL_DEFS = "#/$defs/"


def inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with every local `$ref` replaced by its definition (keywords beside the `$ref` win, as in
    the SDK's own root inlining) and `$defs` dropped. A definition that refers to itself, directly or
    through others, cannot be written in place: then `schema` is returned unchanged."""
    definitions: dict[str, Any] = schema.get("$defs", {})
    if not definitions:
        return schema

    def resolve(node: Any, within: frozenset[str]) -> Any:
        if isinstance(node, list):
            return [resolve(item, within) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(LOCAL_DEFS):
            name = ref.removeprefix(LOCAL_DEFS)
            if name in within or name not in definitions:
                raise _NotInlinable
            siblings = {key: value for key, value in node.items() if key != "$ref"}
            return {**resolve(definitions[name], within | {name}), **resolve(siblings, within)}
        return {key: resolve(value, within) for key, value in node.items()}

    try:
        return resolve({key: value for key, value in schema.items() if key != "$defs"}, frozenset())
    except _NotInlinable:
        return schema


class _NotInlinable(Exception):
    """A `$ref` to a definition that refers back to itself, or to none."""
