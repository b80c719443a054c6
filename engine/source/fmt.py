"""`policyctl fmt`: canonical key order and layout for policy YAML, keeping every comment.

- Key order comes from the file kind's JSON Schema: the order of `properties` there is the order
  in a file (kind, id, names, title, description, ...; for parameters description, label, schema,
  tiers, value, source, note, assumption, changes). Keys a schema does not list keep their place
  after the listed ones; mappings whose keys are names (parameters, inputs, `let`, outputs) keep
  the author's order, which for `let` is also the evaluation order.
- Layout: 2-space indentation, sequences indented under their key (`key:` / `  - item`); flow
  style (`{type: integer}`, `[us, de]`) and quoting stay as the author wrote them; long lines are
  never wrapped.
- ruamel.yaml round-trips the text, so comments stay. A comment on its own line above a key moves
  with that key when keys are reordered.

Every result is checked before it is returned: read with the strict loader it must give the same
data as the original (so `NO` stays a string and `0123` stays "0123"), and it must hold the same
comments. A file that would fail either check is reported and left alone.
"""

from __future__ import annotations

import io
import itertools
import json
import os
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.tokens import CommentToken

from engine import packaged
from engine.cache import formatted
from engine.cache.memo import Memo
from engine.problems import Problem
from engine.schema import check as schema
from engine.source import layout
from engine.source.loader import NotRegular, decode, load_text, read_bytes


@dataclass(frozen=True, slots=True)
class Formatted:
    path: str
    original: str
    text: str | None  # None when the file cannot be formatted (see problem)
    problem: Problem | None = None

    @property
    def changed(self) -> bool:
        return self.text is not None and self.text != self.original


class _Representer(RoundTripRepresenter):
    """Writes none as `null`, as the guide does (`over: null`), never as an empty value."""


_Representer.add_representer(type(None), lambda r, _: r.represent_scalar("tag:yaml.org,2002:null", "null"))


def _load(y: YAML, text: str) -> Any:
    """``y.load(text)`` without ruamel's warnings on standard error: an anchor defined twice is
    valid YAML (the strict loader, which `validate` runs, accepts it; each alias takes the latest),
    and ruamel's ReusedAnchorWarning printed its own source path among policyctl's output."""
    import warnings

    from ruamel.yaml.error import YAMLWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", YAMLWarning)
        return y.load(text)


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.Representer = _Representer
    y.preserve_quotes = True
    y.indent(mapping=2, sequence=4, offset=2)
    y.width = 1 << 16  # never wrap: a rewrapped line is noise in review
    return y


# -- files ---------------------------------------------------------------------------------------------


def format_file(path: str, root: str | None = None) -> Formatted:
    """Format one file (not written): read, find its kind, reorder, lay out, check."""
    if os.path.islink(path):  # writing the result would change the link's target, perhaps outside the repository
        return Formatted(
            path,
            "",
            None,
            Problem(
                path,
                1,
                1,
                "L005",
                "a symbolic link: fmt does not write through links",
                "format the file it points to, or copy it into the repository",
            ),
        )
    try:
        # only a regular file is read (a named pipe would block `fmt` for ever), and no more of it
        # than validate reads: a larger file is refused as validate refuses it (30 MB took minutes)
        raw = read_bytes(path)
    except NotRegular as e:
        return Formatted(path, "", None, layout.not_regular_problem(path, e.what))
    except OSError as e:
        return Formatted(path, "", None, Problem(path, 1, 1, "Y001", f"cannot read the file: {e.strerror or e}"))
    return format_bytes(path, raw, root)


def format_bytes(path: str, raw: bytes, root: str | None = None) -> Formatted:
    """Format ``raw`` as the file at ``path`` (its kind from that place; the path need not exist
    and is not read): a file's bytes, or an editor's buffer (`fmt --stdin-filename`)."""
    text, problem = decode(raw, path)  # (a NUL or a byte that is not UTF-8 at its place, as validate says it)
    if problem is not None:
        return Formatted(path, "", None, _cannot(problem))
    assert text is not None
    original = text.replace("\r\n", "\n").replace("\r", "\n")  # (as a file read as text has its lines)
    return format_text(original, path, kind_of(path, root, original))


def _cannot(first: Problem) -> Problem:
    """A problem of the file that stops it being formatted, said as `fmt` says them: at its place,
    with its own hint (the edit that fixes it), else one to find out what is wrong."""
    hint = first.hint or "fix the file first (`policyctl validate`)"
    return Problem.at(first.pos, first.code, f"cannot format: {first.message}", hint, first.severity)


def kind_of(path: str, root: str | None, text: str) -> str | None:
    """The kind the layout gives the file, else the one it declares."""
    placed = layout.classify(root if root is not None else layout.find_root(path), path)
    if placed.kind is not None:
        return placed.kind
    doc = load_text(text, path)
    declared = doc.data.get("kind") if isinstance(doc.data, dict) else None
    return declared if declared in schema.KINDS else None


def format_text(original: str, path: str = "<text>", kind: str | None = None) -> Formatted:
    """``original`` formatted as a file of ``kind`` (None: keys keep their order), and checked."""
    known = formatted.key(original, kind, _schemas())
    if formatted.known(known):  # found formatted before: formatting it again gives it back
        return Formatted(path, original, original)
    done = _format(original, path, kind)
    if done.problem is None and not done.changed:
        formatted.remember(known)
    return done


# schema folder -> its fingerprint: read once per process (a memo, so that `memo.clear_all()`
# reads the schemas again, as a new process does)
_SCHEMAS: Memo[str] = Memo(4)


def _schemas() -> str:
    """The fingerprint of the schemas (key order comes from a kind's schema and those it refers to)."""
    where = packaged.schema_dir()
    found = _SCHEMAS.get(where)
    if found is None:
        from engine.schema.codegen import fingerprint

        found = fingerprint(where)
        _SCHEMAS.put(where, found)
    return found


def _format(original: str, path: str, kind: str | None) -> Formatted:
    before = load_text(original, path)
    if before.problems:
        return Formatted(path, original, None, _cannot(before.problems[0]))
    if not isinstance(before.data, dict):
        return Formatted(path, original, original)  # not a policy file (their top level is a mapping)
    y = _yaml()
    try:
        tree = _load(y, original)
        kept = _comments_of(tree)  # (before reordering moves them: what the result must hold)
        text = _dumped(y, tree, kind)
        # what is written must be what formatting leaves as it is, or `fmt --check` refuses the
        # file `fmt` just wrote (ruamel.yaml may lay out a comment where it reads it otherwise)
        stable = text == original or _dumped(y, _load(y, text), kind) == text
    except Exception as e:
        mark = getattr(e, "problem_mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        return Formatted(
            path,
            original,
            None,
            Problem(
                path,
                line,
                col,
                "Y010",
                f"cannot format: {e}".splitlines()[0],
                "an unquoted value such as an impossible date? quote it",
            ),
        )
    problem = None if text == original else _check(before.data, kept, text, path)
    if problem is None and not stable:
        problem = Problem(
            path,
            1,
            1,
            "Y010",
            "formatting would not be stable (formatting the result again changes it), so the file was left alone",
            "please report this file; a line ending in spaces before a comment is one cause: remove the spaces",
        )
    return Formatted(path, original, None if problem else text, problem)


def _dumped(y: YAML, tree: Any, kind: str | None) -> str:
    """``tree`` (read by ``_load``) in canonical order and layout."""
    if kind is not None and os.path.exists(schema.schema_path(kind)):
        reorder(tree, schema.raw_schema(kind), f"{kind}.schema.json")
    out = io.StringIO()
    y.dump(tree, out)
    return out.getvalue()


def _check(data: Any, kept: list[str], text: str, path: str) -> Problem | None:
    """The promises: same data (``data``, the original's) by the strict loader, same comments
    (``kept``, the original's)."""
    after = load_text(text, path)
    if after.problems or not identical(data, after.data):
        return Problem(
            path,
            1,
            1,
            "Y010",
            "formatting would change this file's data, so it was left alone",
            "please report this file; format it by hand meanwhile",
        )
    if kept != comments(text):
        return Problem(
            path,
            1,
            1,
            "Y010",
            "formatting would lose or garble a comment, so the file was left alone",
            "move the comment next to the key it is about, or format the file by hand",
        )
    return None


def identical(a: Any, b: Any) -> bool:
    """Equal with types: `1`, `1.0` and `true` differ, as they do to the schema; key order is free."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(identical(v, b[k]) for k, v in a.items())
    if isinstance(a, list):
        return len(a) == len(b) and all(identical(x, y) for x, y in zip(a, b))
    return bool(a == b) or (a != a and b != b)  # NaN


def comments(text: str) -> list[str]:
    """Every comment's text, sorted: what formatting must keep (positions may change)."""
    return _comments_of(_load(_yaml(), text))


def _comments_of(tree: Any) -> list[str]:
    found: list[str] = []
    _collect(tree, found, set())
    return sorted(found)


def _collect(node: Any, found: list[str], seen: set[int]) -> None:
    # only tree objects are remembered: they stay alive, so their ids are not reused meanwhile
    if isinstance(node, (CommentToken, CommentedMap, CommentedSeq)):
        if id(node) in seen:
            return
        seen.add(id(node))
    if isinstance(node, CommentToken):
        found += [line.strip() for line in node.value.split("\n") if line.strip().startswith("#")]
    elif isinstance(node, (list, tuple)):
        for item in node:
            _collect(item, found, seen)
    if isinstance(node, (CommentedMap, CommentedSeq)):
        ca = node.ca
        _collect(ca.comment, found, seen)
        _collect(list(ca.items.values()), found, seen)
        _collect(getattr(ca, "end", None), found, seen)
        for child in node.values() if isinstance(node, CommentedMap) else node:
            _collect(child, found, seen)


# -- key order -----------------------------------------------------------------------------------------


_AUTHORS_SCHEMA = "common.schema.json#/$defs/json_schema"


def reorder(node: Any, spec: Any, file: str, parent: tuple[CommentedMap, Any] | None = None) -> None:
    """Put the keys of every mapping the schema describes in the schema's order, recursively.
    A JSON Schema an author writes (a parameter's `schema`, a decision's `inputs` and `outputs`)
    keeps the author's order: its schema (`json_schema`) lists the keywords for editors, in no
    order an author chose."""
    if isinstance(spec, dict) and spec.get("$ref") == _AUTHORS_SCHEMA:
        return
    spec, file = _resolve(spec, file)
    if isinstance(node, CommentedMap) and isinstance(spec, dict):
        props = spec.get("properties")
        if isinstance(props, dict):
            wanted = [k for k in props if k in node] + [k for k in node if k not in props]
            _move(node, wanted, parent)
        extra = spec.get("additionalProperties")
        for key in node:
            child = props.get(key) if isinstance(props, dict) and key in props else extra
            if isinstance(child, dict):
                reorder(node[key], child, file, (node, key))
    elif isinstance(node, CommentedSeq) and isinstance(spec, dict) and isinstance(spec.get("items"), dict):
        for item in node:
            reorder(item, spec["items"], file)


def _resolve(spec: Any, file: str) -> tuple[Any, str]:
    """Follow `$ref`s to files in schemas/ and to `#/...` pointers (the forms our schemas use)."""
    for _ in range(16):
        ref = spec.get("$ref") if isinstance(spec, dict) else None
        if not isinstance(ref, str):
            return spec, file
        target, _, pointer = ref.partition("#")
        file = target or file
        spec = _schema_file(file)
        for part in [p for p in pointer.split("/") if p]:
            spec = spec.get(part.replace("~1", "/").replace("~0", "~"), {}) if isinstance(spec, dict) else {}
    return {}, file


def _schema_file(name: str) -> Any:
    with open(os.path.join(packaged.schema_dir(), os.path.basename(name)), encoding="utf-8") as f:
        return json.load(f)


def _move(node: CommentedMap, wanted: list[str], parent: tuple[CommentedMap, Any] | None) -> None:
    """Reorder keys; own-line comments above a key go with it, the mapping's trailing ones stay last."""
    keys = list(node)
    if keys == wanted or node.fa.flow_style():
        if keys != wanted:  # flow mappings carry no own-line comments: reorder plainly
            for key in wanted:
                node.move_to_end(key)
        return
    heads: dict[Any, list[CommentToken]] = {}
    first = _detach_first(node, parent) if parent is not None else []  # the file's header stays on top
    if first:
        heads[keys[0]] = first
    for before, key in itertools.pairwise(keys):
        rest = _split_tail(node, before)
        if rest:
            heads[key] = rest
    tail = _split_tail(node, keys[-1])
    if heads.get(wanted[0]):  # no blank line right under the parent key
        heads[wanted[0]][0].value = heads[wanted[0]][0].value.lstrip("\n")
    for key, tokens in heads.items():
        entry = node.ca.items.setdefault(key, [None, None, None, None])
        entry[1] = tokens + list(entry[1] or [])
    for key in wanted:
        node.move_to_end(key)
    if tail:
        _append_tail(node, wanted[-1], tail)


def _detach_first(node: CommentedMap, parent: tuple[CommentedMap, Any] | None) -> list[CommentToken]:
    """Own-line comments between the parent's key and the first key: they are about the first key."""
    found: list[CommentToken] = []
    entry = parent[0].ca.items.get(parent[1]) if parent is not None else None
    eol = entry[2] if entry else None
    if isinstance(eol, CommentToken) and "\n" in eol.value:
        head, rest = eol.value.split("\n", 1)
        if rest:
            eol.value = head + "\n"
            found.append(CommentToken(rest, CommentMark(0), None))
    comment = node.ca.comment
    if comment and len(comment) > 1 and comment[1]:
        found += comment[1]
        comment[1] = []
        if entry and entry[3]:
            entry[3] = None  # the same tokens, which the parent would print too
    return found


def _trailing(node: Any, key: Any) -> tuple[Any, Any]:
    """The container and key/index whose comment token ends the text of ``node[key]``."""
    value = node[key]
    while isinstance(value, (CommentedMap, CommentedSeq)) and len(value) and not value.fa.flow_style():
        node, key = value, (list(value)[-1] if isinstance(value, CommentedMap) else len(value) - 1)
        value = node[key]
    return node, key


def _slot(container: Any) -> int:
    return 0 if isinstance(container, CommentedSeq) else 2


def _split_tail(node: CommentedMap, key: Any) -> list[CommentToken]:
    """Cut the own-line comments after ``node[key]`` off its end-of-line comment; return them."""
    container, last = _trailing(node, key)
    entry = container.ca.items.get(last)
    token = entry[_slot(container)] if entry else None
    if not isinstance(token, CommentToken) or "\n" not in token.value:
        return []
    eol, rest = token.value.split("\n", 1)
    if not rest:
        return []
    token.value = eol + "\n"
    return [CommentToken(rest, CommentMark(0), None)]


def _append_tail(node: CommentedMap, key: Any, tail: list[CommentToken]) -> None:
    container, last = _trailing(node, key)
    entry = container.ca.items.setdefault(last, [None, None, None, None])
    slot = _slot(container)
    token = entry[slot]
    text = "".join(t.value for t in tail)
    if isinstance(token, CommentToken):
        token.value = token.value + text
    else:
        entry[slot] = CommentToken("\n" + text, CommentMark(0), None)
