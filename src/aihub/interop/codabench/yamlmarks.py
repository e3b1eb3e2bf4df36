"""YAML read with ``safe_load`` rules, keeping the line of every key and list item.

The import report names the line of each ignored or wrong key, so organizers find it in
their own file. Mappings and sequences come back as ``dict`` and ``list`` subclasses that
carry those lines; everything else is what ``yaml.safe_load`` gives.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml
from yaml.nodes import MappingNode, SequenceNode


class MarkedDict(dict[Any, Any]):
    """A mapping with the 1-based line of itself (``line``) and of each key (``lines``)."""

    line: int | None = None

    def __init__(self) -> None:
        super().__init__()
        self.lines: dict[Any, int] = {}
        self.duplicates: list[tuple[Any, int]] = []

    def line_of(self, key: Any) -> int | None:
        return self.lines.get(key, self.line)


class MarkedList(list[Any]):
    """A sequence with the 1-based line of itself and of each item (``lines[i]``)."""

    line: int | None = None

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[int] = []

    def line_of(self, position: int) -> int | None:
        return self.lines[position] if position < len(self.lines) else self.line


class _MarkedLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _MarkedLoader, node: MappingNode) -> Iterator[MarkedDict]:
    loader.flatten_mapping(node)
    data = MarkedDict()
    data.line = node.start_mark.line + 1
    # Yield first, fill after: how PyYAML builds containers that anchors may point back to.
    yield data
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError as exc:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark,
                "found an unhashable key", key_node.start_mark,
            ) from exc
        line = key_node.start_mark.line + 1
        if key in data:
            # PyYAML keeps the last value silently; so did Codabench. Say so in the report.
            data.duplicates.append((key, line))
        data[key] = loader.construct_object(value_node, deep=True)
        data.lines[key] = line


def _construct_sequence(loader: _MarkedLoader, node: SequenceNode) -> Iterator[MarkedList]:
    data = MarkedList()
    data.line = node.start_mark.line + 1
    yield data
    for child in node.value:
        data.append(loader.construct_object(child, deep=True))
        data.lines.append(child.start_mark.line + 1)


_MarkedLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_MarkedLoader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)


def load(text: str) -> Any:
    """Parse YAML like ``yaml.safe_load``; raises ``yaml.YAMLError`` on bad YAML."""
    return yaml.load(text, Loader=_MarkedLoader)  # noqa: S506 - a SafeLoader subclass
