"""YAML read with ``safe_load`` rules, bounded, keeping the line of every key and list item.

The import report names the line of each ignored or wrong key, so organizers find it in
their own file. Mappings and sequences come back as ``dict`` and ``list`` subclasses that
carry those lines; everything else is what ``yaml.safe_load`` gives.

Every YAML the hub reads from a bundle or a program (``competition.yaml``, ``scores.txt``,
``metadata.yaml``) is bounded before it is built: aliases share one object, so a
"billion laughs" file loads in microseconds, and then the first ``str()`` or JSON dump of
it takes gigabytes. The document's graph is measured as if every alias were written out
(and a self-referencing one refused); nesting too deep for Python's recursion is a YAML
error too, never a ``RecursionError``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

# As if every alias were written out: characters of scalars plus one per node. Real files,
# v1.5 leaderboards with their anchors included, stay far below it.
MAX_EXPANDED = 4 * 1024 * 1024
MAX_DEPTH = 64


class YAMLTooLarge(yaml.YAMLError):
    """A document nested too deep, or whose aliases expand too far (or into themselves)."""


def _children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []


def check_expansion(root: Node, *, max_size: int = MAX_EXPANDED,
                    max_depth: int = MAX_DEPTH) -> None:
    """Refuse a node graph that is deeper than ``max_depth``, holds an alias to one of its
    own ancestors, or is larger than ``max_size`` with its aliases written out. Iterative,
    and each shared node is measured once."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[Node, int, bool]] = [(root, 0, False)]
    while stack:
        node, depth, finished = stack.pop()
        key = id(node)
        if finished:
            on_path.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in _children(node))
        elif key in sizes:
            continue
        elif key in on_path:
            raise YAMLTooLarge("an alias refers to a value that holds it (a recursive "
                               "structure); write the values out instead")
        elif depth > max_depth:
            raise YAMLTooLarge(f"values are nested more than {max_depth} levels deep")
        elif isinstance(node, ScalarNode):
            sizes[key] = 1 + len(node.value)
        else:
            on_path.add(key)
            stack.append((node, depth, True))
            stack.extend((child, depth + 1, False) for child in _children(node))
        if sizes.get(key, 0) > max_size:
            raise YAMLTooLarge(f"with its aliases (*name) written out the document is larger "
                               f"than {max_size} characters; write the values out instead of "
                               "repeating anchors")


class _Bounded(yaml.SafeLoader):
    """``yaml.SafeLoader`` that measures the document (``check_expansion``) before building it."""

    def get_single_data(self) -> Any:
        node = self.get_single_node()
        if node is None:
            return None
        check_expansion(node)
        return self.construct_document(node)


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


class _MarkedLoader(_Bounded):
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


def _load(text: str, loader: type[_Bounded]) -> Any:
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - a SafeLoader subclass
    except RecursionError as exc:
        # The composer recurses once per level: thousands of "[" end here, not in a 500.
        raise YAMLTooLarge("values are nested too deeply to be read") from exc


def load(text: str) -> Any:
    """Parse YAML like ``yaml.safe_load``, with lines; raises ``yaml.YAMLError`` on bad,
    too deep or too expanding YAML."""
    return _load(text, _MarkedLoader)


def safe_load(text: str) -> Any:
    """``yaml.safe_load``, bounded like ``load`` (plain dicts and lists, no lines)."""
    return _load(text, _Bounded)
