"""YAML parsing that remembers where every key and value was written. No Flask, no SQLAlchemy.

`parse_yaml` returns plain dicts and lists (subclasses carrying 1-based line numbers) built by
PyYAML's safe constructors, so timestamps still become datetimes, plus every key that a mapping
repeats: PyYAML would silently keep the last one. Booleans and floats are read as in YAML 1.2
(`no` is text, `1e-6` is a number); everything else is PyYAML's YAML 1.1.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

# YAML 1.1 reads 1e-6 as text; authors write tolerances that way, so read it as YAML 1.2 does
_EXPONENT_FLOAT = re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$")
# YAML 1.1 reads `feedback: No` as false; only true and false are booleans in YAML 1.2
_YAML12_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_BOOL_TAG = "tag:yaml.org,2002:bool"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_MERGE_TAG = "tag:yaml.org,2002:merge"


class LineDict(dict):
    """A mapping from YAML with the line of the mapping, of each key and of each value.

    value_lines holds where a value's text begins: for a `|` or `>` block, the line after its key.
    """

    line: int
    key_lines: dict[Any, int]
    value_lines: dict[Any, int]
    value_styles: dict[Any, str | None]
    duplicate_keys: list[DuplicateKey]

    def __init__(self, *args: Any, line: int = 1, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line = line
        self.key_lines = {}
        self.value_lines = {}
        self.value_styles = {}
        self.duplicate_keys = []

    def key_line(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)

    def text_line(self, key: Any, offset: int = 0) -> int:
        """The file line of line `offset` (0-based) inside the value of `key`.

        Only a literal block (`|`) keeps its lines as written; elsewhere the first line is the best guess.
        """
        first = self.value_lines.get(key, self.key_line(key))
        return first + offset if self.value_styles.get(key) == "|" else first


class LineList(list):
    """A sequence from YAML with its own line and the line of each item."""

    line: int
    item_lines: list[int]

    def __init__(self, *args: Any, line: int = 1) -> None:
        super().__init__(*args)
        self.line = line
        self.item_lines = []

    def item_line(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


@dataclass(frozen=True)
class DuplicateKey:
    key: Any
    line: int
    first_line: int


@dataclass(frozen=True)
class ParsedYaml:
    data: Any
    duplicate_keys: tuple[DuplicateKey, ...] = ()


def _line(node: Any) -> int:
    return node.start_mark.line + 1


def _content_line(node: Any) -> int:
    # a block scalar's start mark is its `|` or `>` indicator; the text begins on the next line
    if isinstance(node, ScalarNode) and node.style in ("|", ">"):
        return _line(node) + 1
    return _line(node)


# libyaml's parser is about ten times faster; the pure-Python one gives the same nodes and marks
if TYPE_CHECKING:  # a base class mypy can check; both loaders share SafeLoader's interface
    from yaml import SafeLoader as _SafeLoader
else:
    _SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LineLoader(_SafeLoader):
    """PyYAML's SafeLoader, with line numbers on mappings and sequences and duplicate keys recorded."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self.duplicate_keys: list[DuplicateKey] = []

    def _find_duplicates(self, node: MappingNode) -> list[DuplicateKey]:
        found: list[DuplicateKey] = []
        first_lines: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG or not isinstance(key_node, ScalarNode):
                continue
            key = self.construct_object(key_node)
            if key in first_lines:
                found.append(DuplicateKey(key, _line(key_node), first_lines[key]))
            else:
                first_lines[key] = _line(key_node)
        return found

    def construct_line_mapping(self, node: MappingNode) -> Iterator[LineDict]:
        data = LineDict(line=_line(node))
        yield data
        # before flattening: keys brought in by a `<<` merge may be overridden on purpose
        data.duplicate_keys = self._find_duplicates(node)
        self.duplicate_keys.extend(data.duplicate_keys)
        data.update(self.construct_mapping(node))
        # node.value is flattened now; later pairs win, as they do in the dict
        for key_node, value_node in node.value:
            key = self.construct_object(key_node)
            data.key_lines[key] = _line(key_node)
            data.value_lines[key] = _content_line(value_node)
            data.value_styles[key] = value_node.style if isinstance(value_node, ScalarNode) else None

    def construct_line_sequence(self, node: SequenceNode) -> Iterator[LineList]:
        data = LineList(line=_line(node))
        yield data
        data.extend(self.construct_sequence(node))
        data.item_lines = [_line(item) for item in node.value]


LineLoader.add_constructor("tag:yaml.org,2002:map", LineLoader.construct_line_mapping)
LineLoader.add_constructor("tag:yaml.org,2002:seq", LineLoader.construct_line_sequence)
LineLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
LineLoader.add_implicit_resolver(_BOOL_TAG, _YAML12_BOOL, list("tTfF"))
LineLoader.add_implicit_resolver(_FLOAT_TAG, _EXPONENT_FLOAT, list("-+0123456789"))


def parse_yaml(text: str) -> ParsedYaml:
    """Parse one YAML document. Raises yaml.YAMLError (usually a MarkedYAMLError) on bad syntax."""
    loader = LineLoader(text)
    try:
        data = loader.get_single_data()
    finally:
        loader.dispose()
    return ParsedYaml(data, tuple(loader.duplicate_keys))
