"""Reading scenario YAML files with positions, ``extends`` chains and located validation errors.

Students copy and edit scenario files, so every mistake must come back as a
message naming the file, line, column and setting -- never a traceback and
never a silently wrong run. Everything here turns bad input into
:class:`~simulation.scenario.errors.Problem` objects and raises them all at
once in one :class:`~simulation.scenario.errors.ScenarioError`.

Public API
----------
``read_yaml(path) -> (data, locations)``
    One file, YAML 1.2, safe, converted to plain ``dict``/``list``/``str``/
    ``int``/``float``/``bool``/``None``.
``load_with_extends(path, *, max_depth=8, allow_outside=False) -> (data, provenance)``
    Follows top-level ``extends: other.yaml`` chains and deep-merges them.
``validate_model(model_cls, data, provenance) -> model``
    ``model_cls.model_validate(data)`` with every pydantic error turned into a
    located, plain-English problem.
``load_model(model_cls, path, *, allow_outside=False, max_depth=8) -> model``
    The two above together.

Locations
---------
``locations`` / ``provenance`` is a :class:`LocationMap`: a ``dict`` from a
dotted path (keys joined by ``.``, list items as ``[i]``, ``""`` for the whole
file; see :func:`format_path`) to the :class:`Location` ``(file, line, column)``
of the **value** (1-based). Its attribute ``key_locations`` maps the same
paths to the position of the **key** for mapping entries (list items have no
key). Errors about a key (unknown field, duplicate key) and errors about a whole
mapping or list point at the key; errors about a scalar value point at the value;
a missing field points at the key of the nearest enclosing entry that exists.
A key with an empty value (``beds:``) has its value located at its key.

YAML rules
----------
YAML 1.2 core schema: ``1e3`` is a number, ``no``/``yes``/``on``/``off`` are
text. Dates such as ``2025-04-01`` stay text (the schema parses them). Anchors,
aliases and ``<<`` merge keys work. Any tag (``!foo``, ``!!python/object``,
``!!binary``, ...) other than the plain core ones (``!!str``, ``!!int``,
``!!float``, ``!!bool``, ``!!null``, ``!!map``, ``!!seq``) is refused, as are
duplicate keys, ``%YAML`` directives, several documents in one file, NaN and
infinity, and whole numbers larger than ``MAX_ABS_INT`` in size.
"""

from __future__ import annotations

import difflib
import enum
import json
import math
import os
import re
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Iterable, NamedTuple

from pydantic import BaseModel, RootModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError

from .errors import Problem, ScenarioError

__all__ = [
    "Location",
    "LocationMap",
    "MAX_ABS_INT",
    "MAX_FILE_BYTES",
    "format_path",
    "load_model",
    "load_with_extends",
    "read_yaml",
    "validate_model",
]

MAX_FILE_BYTES = 5 * 1024 * 1024
"""Larger files are refused ("file is too large")."""
MAX_ABS_INT = 10**15
"""Whole numbers larger than this in size are refused ("number too large")."""
MAX_VALUES = 50_000
"""Most values (after expanding aliases) one file may hold: stops alias bombs."""
MAX_NESTING = 100
"""Deepest nesting of mappings and lists one file may use."""
EXTENDS_KEY = "extends"
ALLOW_OUTSIDE_OPTION = "--allow-outside-extends"
WHOLE_VALUE_KEYS = frozenset({"dist"})
"""A mapping holding one of these keys (a distribution ``{dist: lognormal, mean: 8, sd: 4}``) is one
value: a file that ``extends`` another and gives such a mapping replaces the parent's whole."""


class Location(NamedTuple):
    """Where a value or key sits: the file as the user named it, 1-based line and column."""

    file: str | None
    line: int | None
    column: int | None


class LocationMap(dict):
    """``dotted path -> Location`` of each value, plus ``key_locations`` for mapping keys."""

    def __init__(self, *args: Any, key_locations: Mapping[str, Location] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.key_locations: dict[str, Location] = dict(key_locations or {})

    def __repr__(self) -> str:
        return f"LocationMap({dict.__repr__(self)}, key_locations={self.key_locations!r})"


# --------------------------------------------------------------------------- paths

_PLAIN_KEY = re.compile(r"[^.\[\]\s'\"](?:[^.\[\]\n\r\t'\"]*[^.\[\]\s'\"])?")


def _scalar_text(value: Any) -> str:
    """A scalar the way YAML would write it."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        return repr(value)
    return str(value)


def _format_part(part: Any) -> str:
    if isinstance(part, int) and not isinstance(part, bool):
        return f"[{part}]"
    if isinstance(part, str):
        if _PLAIN_KEY.fullmatch(part):
            return "." + part
        return "[" + json.dumps(part, ensure_ascii=False) + "]"
    return f"[{_scalar_text(part)}]"


def format_path(parts: Iterable[Any]) -> str:
    """Dotted path of a list of keys and list indexes.

    ``["services", "acute", "beds"]`` -> ``services.acute.beds``;
    ``["interventions", 0, "start"]`` -> ``interventions[0].start``. Text keys
    holding ``.``, ``[``, ``]``, quotes or outer spaces are written
    ``["a.b"]``; non-text keys ``[1]``, ``[true]``.
    """
    return "".join(_format_part(p) for p in parts).lstrip(".")


def _located(loc: Any) -> Location | None:
    if loc is None:
        return None
    if isinstance(loc, Location):
        return loc
    try:
        file, line, column = tuple(loc)[:3]
    except (TypeError, ValueError):
        return None
    return Location(file, line, column)


def _locate(provenance: Mapping[str, Any], parts: Sequence[Any], *, prefer_key: bool) -> Location | None:
    """Location of ``parts``, else of its nearest ancestor (ancestors by their key when they have one)."""
    keys: Mapping[str, Any] = getattr(provenance, "key_locations", None) or {}
    for n in range(len(parts), -1, -1):
        path = format_path(parts[:n])
        order = (keys, provenance) if (prefer_key or n < len(parts)) else (provenance, keys)
        for table in order:
            try:
                loc = _located(table.get(path))
            except Exception:  # noqa: BLE001 - a foreign mapping type must not crash error reporting
                loc = None
            if loc is not None:
                return loc
    return None


# --------------------------------------------------------------------------- reading one file

_CORE = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = (_CORE + t for t in ("str", "int", "float", "bool", "null"))
_MAP, _SEQ, _MERGE, _TIMESTAMP = (_CORE + t for t in ("map", "seq", "merge", "timestamp"))
_SCALAR_TAGS = {_STR, _INT, _FLOAT, _BOOL, _NULL, _TIMESTAMP}


@dataclass
class _Node:
    """A converted value with its positions (internal tree used for merging)."""

    value: Any  # dict[key, _Node] | list[_Node] | scalar
    loc: Location
    key_loc: Location | None = None


class _Fatal(Exception):
    """Stop reading this file (the problem is already recorded)."""


def _tag_of(node: Any) -> str:
    tag = node.tag
    if isinstance(tag, str):
        return tag
    value = getattr(tag, "value", None)
    return value if isinstance(value, str) else str(tag)


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_CORE) :] if tag.startswith(_CORE) else tag


def _show(value: Any, limit: int = 60) -> str:
    """A value as shown after "got" in messages."""
    if value is None:
        return "an empty value"
    if isinstance(value, (bool, int, float)):
        return _scalar_text(value)
    if isinstance(value, str):
        text = repr(value)
        return text if len(text) <= limit else text[: limit - 2] + "…'"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _position(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of character ``index`` of ``text``."""
    before = text[:index]
    line = before.count("\n") + 1
    column = index - (before.rfind("\n") + 1) + 1
    return line, column


def _parse_int(text: str) -> int | None:
    t = text.replace("_", "")
    sign = 1
    if t[:1] in "+-" and t:
        sign = -1 if t[0] == "-" else 1
        t = t[1:]
    try:
        low = t.lower()
        if low.startswith("0x"):
            return sign * int(t[2:], 16)
        if low.startswith("0o"):
            return sign * int(t[2:], 8)
        if low.startswith("0b"):
            return sign * int(t[2:], 2)
        if not t.isdigit():
            return None
        return sign * int(t, 10)
    except ValueError:
        return None


def _parse_float(text: str) -> float | None:
    t = text.replace("_", "")
    low = t.lower()
    if low in (".nan", "+.nan", "-.nan"):
        return math.nan
    if low.lstrip("+-") == ".inf":
        return -math.inf if low.startswith("-") else math.inf
    if low.lstrip("+-").startswith(("nan", "inf")):  # Python would accept these, YAML does not
        return None
    try:
        return float(t)
    except ValueError:
        return None


class _FileReader:
    """Turns one composed YAML document into a :class:`_Node` tree, collecting problems."""

    def __init__(self, display: str):
        self.display = display
        self.problems: list[Problem] = []
        self.count = 0
        self.active: set[int] = set()

    def loc(self, mark: Any) -> Location:
        return Location(self.display, mark.line + 1, mark.column + 1)

    def problem(self, loc: Location | None, parts: Sequence[Any], message: str) -> None:
        loc = loc or Location(self.display, None, None)
        self.problems.append(Problem(loc.file, loc.line, loc.column, format_path(parts), message))

    def convert(self, node: Any, parts: list[Any]) -> _Node:
        loc = self.loc(node.start_mark)
        self.count += 1
        if self.count > MAX_VALUES:
            self.problem(loc, parts, f"file holds too many values (more than {MAX_VALUES:,} after expanding anchors and aliases)")
            raise _Fatal
        if len(parts) > MAX_NESTING:
            self.problem(loc, parts, f"settings are nested too deeply (more than {MAX_NESTING} levels)")
            raise _Fatal
        if id(node) in self.active:
            self.problem(loc, parts, "an alias refers to the value that contains it (a recursive anchor)")
            return _Node(None, loc)
        tag = _tag_of(node)
        if isinstance(node, MappingNode):
            if tag != _MAP:
                return self.bad_tag(tag, loc, parts)
            self.active.add(id(node))
            try:
                return _Node(self.mapping(node, parts), loc)
            finally:
                self.active.discard(id(node))
        if isinstance(node, SequenceNode):
            if tag != _SEQ:
                return self.bad_tag(tag, loc, parts)
            self.active.add(id(node))
            try:
                return _Node([self.convert(item, parts + [i]) for i, item in enumerate(node.value)], loc)
            finally:
                self.active.discard(id(node))
        if tag not in _SCALAR_TAGS:
            return self.bad_tag(tag, loc, parts)
        return _Node(self.scalar(node, tag, loc, parts), loc)

    def bad_tag(self, tag: str, loc: Location, parts: list[Any]) -> _Node:
        self.problem(
            loc,
            parts,
            f"YAML tag {_short_tag(tag)} is not allowed: scenario files hold plain values only (remove the tag)",
        )
        return _Node(None, loc)

    def scalar(self, node: Any, tag: str, loc: Location, parts: list[Any]) -> Any:
        text: str = node.value
        if tag in (_STR, _TIMESTAMP):
            return text
        if tag == _NULL:
            return None
        if tag == _BOOL:
            if text.lower() in ("true", "false"):
                return text.lower() == "true"
            self.problem(loc, parts, f"cannot read {text!r} as true or false")
            return text
        if tag == _INT:
            number = _parse_int(text)
            if number is None:
                self.problem(loc, parts, f"cannot read {text!r} as a whole number")
                return text
            if abs(number) > MAX_ABS_INT:
                self.problem(loc, parts, f"number too large (got {text}; the limit is 1e15 in size)")
            return number
        # float
        number = _parse_float(text)
        if number is None:
            self.problem(loc, parts, f"cannot read {text!r} as a number")
            return text
        if math.isnan(number) or math.isinf(number):
            if text.replace("_", "").lower().lstrip("+-") in (".nan", ".inf"):
                self.problem(loc, parts, f"not a finite number (got {text}); write an ordinary number")
            else:
                self.problem(loc, parts, f"number too large (got {text})")
        return number

    def mapping(self, node: Any, parts: list[Any]) -> dict[Any, _Node]:
        explicit: dict[Any, _Node] = {}
        merged: dict[Any, _Node] = {}
        for key_node, value_node in node.value:
            key_loc = self.loc(key_node.start_mark)
            key_tag = _tag_of(key_node)
            if key_tag == _MERGE and isinstance(key_node, ScalarNode):
                self.merge(value_node, parts, key_loc, merged)
                continue
            if not isinstance(key_node, ScalarNode):
                self.problem(key_loc, parts, "a key must be a plain name, not a list or a mapping")
                continue
            if key_tag not in _SCALAR_TAGS:
                self.bad_tag(key_tag, key_loc, parts)
                continue
            key = self.scalar(key_node, key_tag, key_loc, parts)
            if key is None:
                self.problem(key_loc, parts, "a key is missing (a ':' with no setting name before it)")
                continue
            child_parts = parts + [key]
            if key in explicit:
                first = explicit[key].key_loc
                where = f" (first given on line {first.line})" if first else ""
                self.problem(key_loc, child_parts, f"duplicate key {_show(key)}{where}; give each setting once")
                continue
            child = self.convert(value_node, child_parts)
            child.key_loc = key_loc
            if (
                isinstance(value_node, ScalarNode)
                and child.value is None
                and value_node.value == ""
                and not value_node.style
            ):
                child.loc = key_loc  # an empty value has no position of its own
            explicit[key] = child
        if not merged:
            return explicit
        result = {k: v for k, v in merged.items() if k not in explicit}
        result.update(explicit)
        return result

    def merge(self, value_node: Any, parts: list[Any], key_loc: Location, into: dict[Any, _Node]) -> None:
        """A ``<<`` merge key: keys of the mapping(s) not given explicitly are taken over."""
        sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
        for source in sources:
            if not isinstance(source, MappingNode):
                self.problem(key_loc, parts, "'<<' (merge key) must be followed by a mapping or a list of mappings")
                return
            converted = self.convert(source, parts)
            if isinstance(converted.value, dict):
                for key, child in converted.value.items():
                    into.setdefault(key, child)


def _describe_node(node: Any) -> str:
    if isinstance(node, SequenceNode):
        return "a list"
    if isinstance(node, ScalarNode):
        tag = _tag_of(node)
        if tag in (_INT, _FLOAT):
            return f"the number {node.value}"
        if tag == _NULL:
            return "an empty value"
        return f"the text {node.value!r}"
    return "something else"


def _syntax_message(exc: MarkedYAMLError) -> str:
    problem = (exc.problem or exc.context or "syntax error").strip()
    message = f"invalid YAML: {problem}"
    context, cmark, pmark = exc.context, exc.context_mark, exc.problem_mark
    if context and exc.problem and cmark is not None and pmark is not None and (cmark.line, cmark.column) != (
        pmark.line,
        pmark.column,
    ):
        message += f" ({context} that starts at line {cmark.line + 1}, column {cmark.column + 1})"
    if "'\\t'" in problem:
        message += " — indent with spaces, not tabs"
    elif "mapping values are not allowed" in problem:
        message += " — check the indentation, or put a value containing ': ' in quotes"
    return message


def _read_file(path: str | os.PathLike[str], display: str) -> tuple[_Node | None, list[Problem]]:
    """Read one file. Returns ``(None, problems)`` when nothing usable could be read."""

    def fail(message: str, line: int | None = None, column: int | None = None) -> tuple[None, list[Problem]]:
        return None, [Problem(display, line, column, "", message)]

    try:
        if os.path.isdir(path):
            return fail("is a folder, not a file")
        with open(path, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        return fail("file not found")
    except PermissionError:
        return fail("cannot read the file: permission denied")
    except (OSError, ValueError) as exc:  # ValueError: e.g. a NUL character in the path
        reason = getattr(exc, "strerror", None) or str(exc)
        return fail(f"cannot read the file: {reason}")
    if len(raw) > MAX_FILE_BYTES:
        return fail(f"file is too large (more than {MAX_FILE_BYTES // (1024 * 1024)} MB)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _position(raw[: exc.start].decode("utf-8", errors="replace"), exc.start)
        return fail(
            f"file is not UTF-8 text (byte 0x{raw[exc.start]:02x} here); save it with UTF-8 encoding",
            line,
            column,
        )
    if text.startswith("\ufeff"):
        text = text[1:]

    directive = re.search(r"^%\S*", text, re.MULTILINE)
    if directive and re.search(r"^---", text[directive.end() :], re.MULTILINE):
        line, column = _position(text, directive.start())
        return fail(f"YAML directives such as {directive.group(0)!r} are not supported (delete the line)", line, column)

    yaml = YAML(typ="safe", pure=True)
    try:
        documents = yaml.compose_all(text)
        root = next(documents, None)
        second = next(documents, None) if root is not None else None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if mark is None:
            return fail(_syntax_message(exc))
        return fail(_syntax_message(exc), mark.line + 1, mark.column + 1)
    except ReaderError as exc:
        line, column = _position(text, exc.position) if isinstance(exc.position, int) else (None, None)
        character = exc.character
        shown = f"#x{character:04x}" if isinstance(character, int) else repr(character)
        return fail(f"character {shown} is not allowed in a YAML file (delete it)", line, column)
    except RecursionError:
        return fail(f"settings are nested too deeply (more than {MAX_NESTING} levels)")
    except YAMLError as exc:
        return fail(f"invalid YAML: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
    except Exception as exc:  # noqa: BLE001 - the contract: bad input never escapes as a traceback
        return fail(f"could not read the file as YAML ({type(exc).__name__}: {exc})")

    if second is not None:
        mark = second.start_mark
        return fail(
            "file holds more than one YAML document ('---'); a scenario file must hold exactly one",
            mark.line + 1,
            mark.column + 1,
        )
    if root is None or (isinstance(root, ScalarNode) and _tag_of(root) == _NULL and root.value == ""):
        return fail("file is empty (expected a mapping of scenario settings)", 1, 1)
    if not isinstance(root, MappingNode):
        mark = root.start_mark
        return fail(
            "the top level must be a mapping of scenario settings (lines like 'name: value'), "
            f"got {_describe_node(root)}",
            mark.line + 1,
            mark.column + 1,
        )
    reader = _FileReader(display)
    try:
        tree = reader.convert(root, [])
    except _Fatal:
        return None, reader.problems
    except RecursionError:
        return None, reader.problems + [
            Problem(display, None, None, "", f"settings are nested too deeply (more than {MAX_NESTING} levels)")
        ]
    if _tag_of(root) != _MAP:  # a tagged top level was refused and replaced by None
        return None, reader.problems
    return tree, reader.problems


def _flatten(tree: _Node) -> tuple[Any, LocationMap]:
    locations = LocationMap()

    def walk(node: _Node, parts: list[Any]) -> Any:
        path = format_path(parts)
        locations[path] = node.loc
        if node.key_loc is not None:
            locations.key_locations[path] = node.key_loc
        if isinstance(node.value, dict):
            return {key: walk(child, parts + [key]) for key, child in node.value.items()}
        if isinstance(node.value, list):
            return [walk(child, parts + [i]) for i, child in enumerate(node.value)]
        return node.value

    return walk(tree, []), locations


def read_yaml(path: str | os.PathLike[str]) -> tuple[dict[str, Any], LocationMap]:
    """Read one YAML file into plain Python data and the position of every value.

    Raises :class:`ScenarioError` with every problem found (file cannot be
    read, not UTF-8, syntax error, empty, top level not a mapping, duplicate
    key, tag, NaN/infinity, number too large). A top-level ``extends`` key is
    left in the data as it is (see :func:`load_with_extends`).
    """
    display = os.fspath(path) if not isinstance(path, bytes) else os.fsdecode(path)
    tree, problems = _read_file(display, display)
    if problems or tree is None:
        raise ScenarioError(problems)
    data, locations = _flatten(tree)
    return data, locations


# --------------------------------------------------------------------------- extends


def _merge(parent: _Node, child: _Node) -> _Node:
    """Deep-merge mappings (the child wins); anything else, lists included, the child replaces whole.

    A child mapping naming its kind (a key of :data:`WHOLE_VALUE_KEYS`, e.g. ``dist``) also replaces
    the parent's whole: ``{dist: exponential, mean: 3}`` over a lognormal must not keep its ``sd``, and
    ``{dist: lognormal, mean: 3}`` must not silently take the parent's ``sd``.
    """
    if not (isinstance(parent.value, dict) and isinstance(child.value, dict)):
        return child
    if any(key in child.value for key in WHOLE_VALUE_KEYS):
        return child
    merged = dict(parent.value)
    for key, value in child.value.items():
        merged[key] = _merge(merged[key], value) if key in merged else value
    return _Node(merged, child.loc, child.key_loc)


def _is_within(folder: str, target: str) -> bool:
    try:
        return os.path.commonpath([folder, target]) == folder
    except ValueError:  # different drives on Windows
        return False


def _load_tree(
    path: str | os.PathLike[str], *, max_depth: int, allow_outside: bool
) -> tuple[_Node | None, list[Problem]]:
    """Read ``path`` and its ``extends`` chain; ``(None, problems)`` when nothing can be merged."""
    display = os.fspath(path) if not isinstance(path, bytes) else os.fsdecode(path)
    open_path = display
    chain_display: list[str] = []
    chain_real: list[str] = []
    trees: list[_Node] = []
    problems: list[Problem] = []

    while True:
        tree, found = _read_file(open_path, display)
        problems.extend(found)
        if tree is None:
            return None, problems
        trees.append(tree)
        chain_display.append(display)
        chain_real.append(os.path.realpath(open_path))

        ext = tree.value.pop(EXTENDS_KEY, None)
        if ext is None:
            break
        where = ext.loc

        def report(message: str) -> tuple[None, list[Problem]]:
            problems.append(Problem(where.file, where.line, where.column, EXTENDS_KEY, message))
            return None, problems

        target = ext.value
        if not isinstance(target, str) or not target.strip():
            return report(f"must name the YAML file this one builds on, e.g. 'extends: baseline.yaml' (got {_show(target)})")
        folder = os.path.dirname(open_path)
        next_open = os.path.join(folder, target)
        next_display = os.path.normpath(os.path.join(os.path.dirname(display), target))
        try:
            next_real = os.path.realpath(next_open)
            folder_real = os.path.realpath(folder or os.curdir)
        except (OSError, ValueError):
            return report(f"{target!r} is not a usable file name")
        chain = " -> ".join(chain_display + [next_display])
        if not allow_outside and not _is_within(folder_real, next_real):
            return report(
                f"{target!r} is outside the folder of {display!r}; a scenario may only extend files in its own "
                f"folder or below it (use {ALLOW_OUTSIDE_OPTION} to allow this)"
            )
        if next_real in chain_real:
            return report(f"'extends' goes round in a circle: {chain}")
        if len(trees) > max_depth:
            return report(f"too many levels of 'extends' (at most {max_depth}): {chain}")
        if "\0" in target or not os.path.exists(next_open):
            return report(f"cannot find the file {target!r} named by 'extends' (looked for {next_display}; chain: {chain})")
        if os.path.isdir(next_open):
            return report(f"{target!r} named by 'extends' is a folder, not a file (chain: {chain})")
        open_path, display = next_open, next_display

    merged = trees[-1]
    for tree in reversed(trees[:-1]):
        merged = _merge(merged, tree)
    return merged, problems


def load_with_extends(
    path: str | os.PathLike[str], *, max_depth: int = 8, allow_outside: bool = False
) -> tuple[dict[str, Any], LocationMap]:
    """Read ``path`` and the files it ``extends``, deep-merged.

    A file may have a top-level ``extends: other.yaml`` (relative to that
    file's folder). Mappings are merged key by key (the extending file wins),
    except a mapping holding a key of :data:`WHOLE_VALUE_KEYS` (``dist``: a
    distribution), which is replaced whole like anything else -- lists
    included -- and ``extends`` is removed from the result. At most ``max_depth`` ``extends`` steps are
    followed. A parent outside the folder (tree) of the file naming it is
    refused unless ``allow_outside`` is true.

    Returns ``(data, provenance)``: ``provenance`` is a :class:`LocationMap`
    giving, for every dotted path in the merged data, the location in the
    file that actually set the value (the child where it overrides, the
    parent where inherited; a mapping present in both is located in the child).
    """
    tree, problems = _load_tree(path, max_depth=max_depth, allow_outside=allow_outside)
    if problems or tree is None:
        raise ScenarioError(problems)
    return _flatten(tree)


# --------------------------------------------------------------------------- walking model annotations

_MISSING = object()


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _discriminator_name(obj: Any) -> str | None:
    if isinstance(obj, str):
        return obj
    inner = getattr(obj, "discriminator", None)
    return inner if isinstance(inner, str) else None


def _model_fields(model: type[BaseModel]) -> dict[str, Any]:
    """``{name in the input: FieldInfo}`` (aliases; field names too when population by name is on)."""
    config = getattr(model, "model_config", {}) or {}
    by_name = bool(config.get("populate_by_name") or config.get("validate_by_name"))
    fields: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        alias = info.validation_alias if isinstance(info.validation_alias, str) else info.alias
        fields[alias or name] = info
        if by_name or not alias:
            fields.setdefault(name, info)
    return fields


def _literal_values(tp: Any) -> list[Any]:
    """Values allowed by a Literal or Enum annotation (also inside Annotated/Union), else []."""
    tp = _strip(tp)[0]
    origin = typing.get_origin(tp)
    if origin is typing.Literal:
        return list(typing.get_args(tp))
    if origin in (typing.Union, types.UnionType):
        out: list[Any] = []
        for arg in typing.get_args(tp):
            out.extend(v for v in _literal_values(arg) if v not in out)
        return out
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return [member.value for member in tp]
    return []


def _strip(tp: Any) -> tuple[Any, str | None]:
    """Remove Annotated and type-alias wrappers; return the discriminator found in the metadata."""
    disc = None
    for _ in range(50):
        if typing.get_origin(tp) is typing.Annotated:
            args = typing.get_args(tp)
            for meta in args[1:]:
                disc = disc or _discriminator_name(getattr(meta, "discriminator", None))
            tp = args[0]
        elif hasattr(tp, "__value__") and type(tp).__name__ == "TypeAliasType":
            tp = tp.__value__
        else:
            break
    return tp, disc


def _variant_matches(model: type[BaseModel], value: Mapping[Any, Any], disc: str | None) -> bool:
    fields = _model_fields(model)
    names = [disc] if disc else [n for n, info in fields.items() if _literal_values(info.annotation)]
    checked = False
    for name in names:
        info = fields.get(name)
        if info is None or name not in value:
            if disc:
                return False
            continue
        if value[name] not in _literal_values(info.annotation):
            return False
        checked = True
    return checked


def _concrete(tp: Any, disc: str | None, value: Any, depth: int = 0) -> list[tuple[Any, str | None]]:
    """The concrete types ``tp`` may mean for ``value`` (unions narrowed by the discriminator when possible)."""
    if depth > 20:
        return []
    tp, found = _strip(tp)
    disc = disc or found
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options: list[tuple[Any, str | None]] = []
        for arg in typing.get_args(tp):
            if arg is type(None):
                continue
            options.extend(_concrete(arg, disc, value, depth + 1))
        if len(options) > 1 and isinstance(value, Mapping):
            chosen = [(t, d) for t, d in options if _is_model(t) and _variant_matches(t, value, disc)]
            if chosen:
                return chosen
        return options
    if _is_model(tp) and issubclass(tp, RootModel) and "root" in tp.model_fields:
        return _concrete(tp.model_fields["root"].annotation, None, value, depth + 1)
    return [(tp, disc)]


def _step(tp: Any, part: Any) -> list[tuple[Any, str | None]]:
    """The annotation(s) one key or index below a concrete type."""
    if _is_model(tp):
        info = _model_fields(tp).get(part) if isinstance(part, str) else None
        if info is None:
            return []
        return [(info.annotation, _discriminator_name(info.discriminator))]
    origin = typing.get_origin(tp) or (tp if isinstance(tp, type) else None)
    args = typing.get_args(tp)
    if origin is None:
        return []
    try:
        if issubclass(origin, tuple) and isinstance(part, int):
            if len(args) == 2 and args[1] is Ellipsis:
                return [(args[0], None)]
            return [(args[part], None)] if 0 <= part < len(args) else []
        if issubclass(origin, Mapping):
            return [(args[1], None)] if len(args) == 2 else []
        if issubclass(origin, (Sequence, set, frozenset)) and not issubclass(origin, (str, bytes)) and isinstance(part, int):
            return [(args[0], None)] if args else []
    except TypeError:
        return []
    return []


def _child(value: Any, part: Any) -> Any:
    if isinstance(value, Mapping):
        return value.get(part, _MISSING) if _hashable(part) else _MISSING
    if isinstance(value, (list, tuple)) and isinstance(part, int) and -len(value) <= part < len(value):
        return value[part]
    return _MISSING


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _types_at(model_cls: Any, data: Any, parts: Sequence[Any]) -> list[tuple[Any, str | None]]:
    candidates = _concrete(model_cls, None, data)
    value = data
    for part in parts:
        value = _child(value, part)
        stepped = [s for tp, _ in candidates for s in _step(tp, part)]
        candidates = [c for tp, disc in stepped for c in _concrete(tp, disc, value)]
        if not candidates:
            return []
    return candidates


def _allowed_fields(model_cls: Any, data: Any, parts: Sequence[Any]) -> list[str]:
    names: list[str] = []
    for tp, _ in _types_at(model_cls, data, parts):
        if _is_model(tp):
            names.extend(n for n in _model_fields(tp) if n not in names)
    return names


def _allowed_tags(model_cls: Any, data: Any, parts: Sequence[Any], disc: str) -> list[Any]:
    """Discriminator values of every variant of the union at ``parts``."""
    if parts:
        parents = _types_at(model_cls, data, parts[:-1])
        stepped = [s for tp, _ in parents for s in _step(tp, parts[-1])]
        candidates = [c for tp, d in stepped for c in _concrete(tp, d, None)]  # no data: keep every variant
    else:
        candidates = _concrete(model_cls, None, None)
    tags: list[Any] = []
    for tp, _ in candidates:
        if _is_model(tp):
            info = _model_fields(tp).get(disc)
            if info is not None:
                tags.extend(v for v in _literal_values(info.annotation) if v not in tags)
    return tags


# --------------------------------------------------------------------------- pydantic errors -> problems


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return _scalar_text(value) if isinstance(value, (int, float)) else str(value)


def _quoted_list(text: str) -> list[str]:
    """``"'a', 'b' or 'c'"`` -> ``['a', 'b', 'c']`` (pydantic's way of listing expected values)."""
    found = re.findall(r"'((?:[^'\\]|\\.)*)'", text)
    if found:
        return found
    return [t.strip() for t in re.split(r",| or ", text) if t.strip()]


def _one_of(allowed: Sequence[Any], got: Any) -> tuple[str, str]:
    shown = ", ".join(str(a) for a in allowed)
    hint = ""
    if isinstance(got, str):
        close = difflib.get_close_matches(got, [str(a) for a in allowed], n=1, cutoff=0.6)
        if close:
            hint = f" — did you mean {close[0]!r}?"
    return f"must be one of: {shown}", hint


def _looks_numeric(text: str) -> bool:
    return _parse_float(text.strip()) is not None


@dataclass
class _Item:
    parts: list[Any]
    what: str
    got: str | None
    hint: str
    prefer_key: bool
    branches: tuple[Any, ...]


_INT_TYPES = {"int_type", "int_parsing", "int_from_float", "int_parsing_size"}
_FLOAT_TYPES = {"float_type", "float_parsing"}
_BOOL_TYPES = {"bool_type", "bool_parsing"}
_LIST_TYPES = {"list_type", "tuple_type", "set_type", "frozen_set_type", "iterable_type"}
_MAPPING_TYPES = {"dict_type", "model_type", "model_attributes_type", "dataclass_type", "dataclass_exact_type"}
_BOUNDS = {
    "greater_than": ("gt", "must be greater than"),
    "greater_than_equal": ("ge", "must be at least"),
    "less_than": ("lt", "must be less than"),
    "less_than_equal": ("le", "must be at most"),
    "multiple_of": ("multiple_of", "must be a multiple of"),
}


def _item_from_error(model_cls: Any, data: Any, error: Mapping[str, Any]) -> _Item:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    loc = tuple(error.get("loc") or ())
    got_value = error.get("input")

    # Walk the data along pydantic's location; elements that are not in the data
    # are union branch names (e.g. 'lognormal', 'int') and are skipped.
    parts: list[Any] = []
    branches: list[Any] = []
    value: Any = data
    key_error = False
    for i, element in enumerate(loc):
        last = i == len(loc) - 1
        if element == "[key]":
            key_error = True
            continue
        child = _child(value, element)
        if child is not _MISSING:
            parts.append(element)
            value = child
        elif last and kind == "missing":
            parts.append(element)
            value = _MISSING
        else:
            branches.append(element)

    got: str | None = _show(got_value)
    hint = ""
    prefer_key = False
    container = isinstance(value, (Mapping, list, tuple))

    if kind == "missing":
        what, got = "field required", None
    elif kind == "extra_forbidden":
        key = parts[-1] if parts else None
        names = _allowed_fields(model_cls, data, parts[:-1])
        shown = repr(key) if isinstance(key, str) else _scalar_text(key)
        close = difflib.get_close_matches(str(key), names, n=1, cutoff=0.6) if names else []
        if close:
            what = f"unknown field {shown} — did you mean {close[0]!r}?"
        elif names:
            listed = ", ".join(names[:20]) + (f", … ({len(names) - 20} more)" if len(names) > 20 else "")
            what = f"unknown field {shown} (allowed here: {listed})"
        else:
            what = f"unknown field {shown}"
        got, prefer_key = None, True
    elif kind == "invalid_key" or key_error:
        key = parts[-1] if parts else got_value
        what = "keys must be text" if kind in ("invalid_key", "string_type") else _plain_msg(error)
        got, prefer_key = _show(key), True
    elif kind == "union_tag_invalid":
        disc = str(ctx.get("discriminator", "")).strip("'\"")
        allowed = _allowed_tags(model_cls, data, parts, disc) or _quoted_list(str(ctx.get("expected_tags", "")))
        if isinstance(value, Mapping) and disc in value:
            parts.append(disc)
            value = value[disc]
            got = _show(value)
        else:
            got = repr(ctx.get("tag"))
        what, hint = _one_of(allowed, value if isinstance(value, str) else ctx.get("tag"))
        container = isinstance(value, (Mapping, list, tuple))  # 'dist: {..}' points at the key, like any mapping
    elif kind == "union_tag_not_found":
        disc = str(ctx.get("discriminator", "")).strip("'\"")
        allowed = _allowed_tags(model_cls, data, parts, disc)
        if isinstance(value, Mapping) and disc:
            parts.append(disc)
            what = "field required" + (f" (one of: {', '.join(map(str, allowed))})" if allowed else "")
            got = None
        else:
            what = "must be a mapping (indented 'name: value' lines)"
    elif kind in _INT_TYPES:
        what = "must be a whole number"
        if isinstance(got_value, str) and _parse_int(got_value.strip()) is not None:
            hint = " — remove the quotes"
        elif isinstance(got_value, float) and got_value.is_integer() and abs(got_value) <= MAX_ABS_INT:
            hint = f" — write {int(got_value)}"
    elif kind in _FLOAT_TYPES:
        what = "must be a number"
        if isinstance(got_value, str) and _looks_numeric(got_value):
            hint = " — remove the quotes"
    elif kind == "finite_number":
        what = "not a finite number"
    elif kind in _BOOL_TYPES:
        what = "must be true or false"
        if isinstance(got_value, str):
            low = got_value.strip().lower()
            if low in ("true", "false"):
                hint = " — remove the quotes"
            elif low in ("yes", "no", "on", "off", "y", "n"):
                hint = " — write true or false"
    elif kind == "string_type":
        what = "must be text"
        if isinstance(got_value, (int, float)):
            hint = " — put it in quotes if you mean text"
    elif kind == "string_too_short":
        n = ctx.get("min_length")
        what = "must not be empty" if n == 1 else f"must be at least {n} characters long"
    elif kind == "string_too_long":
        what = f"must be at most {ctx.get('max_length')} characters long"
    elif kind == "string_pattern_mismatch":
        what = f"must match the pattern {ctx.get('pattern')}"
    elif kind in _BOUNDS:
        key, phrase = _BOUNDS[kind]
        what = f"{phrase} {_number(ctx.get(key))}"
    elif kind in ("too_short", "too_long"):
        n = ctx.get("min_length" if kind == "too_short" else "max_length")
        unit = "entry" if ctx.get("field_type") == "Dictionary" else "item"
        plural = "entries" if unit == "entry" else "items"
        what = f"must have at {'least' if kind == 'too_short' else 'most'} {n} {unit if n == 1 else plural}"
        actual = ctx.get("actual_length")
        got = f"{actual} {unit if actual == 1 else plural}" if actual is not None else None
        prefer_key = True
    elif kind in _LIST_TYPES and isinstance(got_value, list):
        # a strict tuple/set field can never take a YAML list: a schema problem, said plainly
        what, got = f"cannot be given as a YAML list (the schema wants a strict {kind.split('_type')[0].replace('_', ' ')})", None
    elif kind in _LIST_TYPES:
        what = "must be a list"
    elif kind in _MAPPING_TYPES:
        what = "must be a mapping (indented 'name: value' lines)"
    elif kind in ("literal_error", "enum"):
        allowed = [
            v for tp, _ in _types_at(model_cls, data, parts) for v in _literal_values(tp)
        ] or _quoted_list(str(ctx.get("expected", "")))
        allowed = list(dict.fromkeys(allowed))
        what, hint = _one_of(allowed, got_value)
    elif kind.startswith("date") and not kind.startswith("datetime"):
        what = "must be a date like 2025-04-01"
    elif kind.startswith("datetime"):
        what = "must be a date and time like 2025-04-01T09:00:00"
    elif kind.startswith("time_") or kind == "time_type":
        what = "must be a time of day like 09:30"
    elif kind == "none_required":
        what = "must be left empty"
    elif kind in ("value_error", "assertion_error"):
        cause = ctx.get("error")
        what = str(cause) if cause is not None and str(cause) else _plain_msg(error)
        got = None
        prefer_key = container
    else:
        what = _plain_msg(error)

    if kind not in ("value_error", "assertion_error", "too_short", "too_long") and not prefer_key:
        prefer_key = container
    return _Item(parts, what, got, hint, prefer_key, tuple(branches))


def _plain_msg(error: Mapping[str, Any]) -> str:
    msg = str(error.get("msg", "is not valid"))
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            return msg[len(prefix) :]
    if msg.startswith("Input should be "):
        return "must be " + msg[len("Input should be ") :]
    return msg[:1].lower() + msg[1:] if msg[:2] != msg[:2].upper() else msg


def _merge_union_items(items: list[_Item]) -> list[_Item]:
    """Errors from several branches of one plain union at the same path become one message."""
    by_path: dict[str, list[_Item]] = {}
    for item in items:
        by_path.setdefault(format_path(item.parts), []).append(item)
    merged: list[_Item] = []
    for group in by_path.values():
        if len(group) > 1 and len({g.branches for g in group}) > 1 and all(g.branches for g in group):
            whats = list(dict.fromkeys(g.what for g in group))
            if all(w.startswith("must be ") for w in whats):
                what = "must be " + " or ".join(w[len("must be ") :] for w in whats)
            else:
                what = "; or ".join(whats)
            first = group[0]
            hint = next((g.hint for g in group if g.hint), "")
            merged.append(_Item(first.parts, what, first.got, hint, first.prefer_key, first.branches))
        else:
            merged.extend(group)
    return merged


def _problems_from_errors(
    model_cls: Any, data: Any, provenance: Mapping[str, Any], errors: Iterable[Mapping[str, Any]]
) -> list[Problem]:
    items: list[_Item] = []
    for error in errors:
        try:
            items.append(_item_from_error(model_cls, data, error))
        except Exception:  # noqa: BLE001 - never let error reporting itself crash
            parts = [p for p in (error.get("loc") or ()) if isinstance(p, (str, int))]
            items.append(_Item(parts, str(error.get("msg", "is not valid")), None, "", False, ()))
    problems = []
    for item in _merge_union_items(items):
        loc = _locate(provenance, item.parts, prefer_key=item.prefer_key) or Location(None, None, None)
        message = item.what + (f" (got {item.got})" if item.got is not None else "") + item.hint
        problems.append(Problem(loc.file, loc.line, loc.column, format_path(item.parts), message))
    return problems


def validate_model(model_cls: type[BaseModel], data: Any, provenance: Mapping[str, Any]) -> BaseModel:
    """``model_cls.model_validate(data)``, with every validation error located and in plain English.

    ``provenance`` maps dotted paths to ``(file, line, column)`` (a
    :class:`LocationMap` from :func:`read_yaml` or :func:`load_with_extends`;
    a plain dict of tuples works too). An error whose exact path has no
    location is placed at the nearest located ancestor. Raises
    :class:`ScenarioError` with all problems.
    """
    try:
        return model_cls.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
    except Exception as exc:  # noqa: BLE001 - a validator crashed on this input; still no traceback for users
        loc = _locate(provenance, [], prefer_key=False) or Location(None, None, None)
        raise ScenarioError(
            [Problem(loc.file, loc.line, loc.column, "", f"could not check the settings ({type(exc).__name__}: {exc})")]
        ) from exc
    raise ScenarioError(_problems_from_errors(model_cls, data, provenance, errors))


def _under(path: str, ancestor: str) -> bool:
    if not ancestor:
        return False
    return path == ancestor or path.startswith(ancestor + ".") or path.startswith(ancestor + "[")


def load_model(
    model_cls: type[BaseModel], path: str | os.PathLike[str], *, allow_outside: bool = False, max_depth: int = 8
) -> BaseModel:
    """:func:`load_with_extends` then :func:`validate_model`, reporting every problem in one error.

    When the files could be read but hold value-level problems (duplicate
    key, tag, NaN, number too large) the settings are still validated, and
    validation problems at or below an already reported path are left out.
    """
    tree, problems = _load_tree(path, max_depth=max_depth, allow_outside=allow_outside)
    if tree is None:
        raise ScenarioError(problems)
    data, provenance = _flatten(tree)
    try:
        model = validate_model(model_cls, data, provenance)
    except ScenarioError as exc:
        reported = [p.path for p in problems]
        problems.extend(p for p in exc.problems if not any(_under(p.path, r) for r in reported))
        raise ScenarioError(problems) from None
    if problems:
        raise ScenarioError(problems)
    return model
