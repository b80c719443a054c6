"""Problems: the one value type every stage reports (loader, schema, semantics, decisions, pages).

A problem is data, never an exception: stages collect them and the CLI turns them into output and
an exit code. Codes are stable identifiers that tests, CI annotations and users can rely on; the
catalogue below is their documentation (``policyctl validate --list-codes``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from typing import Any, Literal

from engine.frozen import Frozen, set_field

Severity = Literal["error", "warning"]

# Where a problem about the question itself is (an unknown program, marketplace or decision, a
# malformed day: L004), as the public API names it: the arguments of the call, no file. The CLI
# says no place for it (nor for `<command line>`, its own options'), the decision service names
# the request, a policy test its case (``ASKED``: both names).
ARGUMENTS = "<arguments>"
ASKED = ("<command line>", ARGUMENTS)


class Pos(Frozen):
    """A place in a source file; line and column are 1-based, as editors show them."""

    __match_args__ = ("file", "line", "col")
    __slots__ = __match_args__
    file: str
    line: int
    col: int

    def __init__(self, file: str, line: int = 1, col: int = 1) -> None:
        set_field(self, "file", file)
        set_field(self, "line", line)
        set_field(self, "col", col)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


def shown_path(file: str) -> str:
    """``file`` as text and JSON output name it: relative to the working folder and normalised, as
    ruff, mypy and yamllint name files (`program.yaml` in policies/returns, not
    `../returns/program.yaml`; `returns/program.yaml` in policies/, not `./returns/program.yaml`).
    An absolute path (a repository away from the working folder:
    engine.source.project.Project.shown) and a name that is no file (`<command line>`) are kept."""
    if not file.startswith(".") and f"{os.sep}." not in file:
        return file  # (what a load names from the repository's top or from outside it: already so)
    if os.path.isabs(file) or file.startswith("<"):
        return file
    try:
        return os.path.relpath(file)
    except (OSError, ValueError):  # (the working folder is gone; on Windows, another drive)
        return os.path.normpath(file)


# a word of a message or hint that may be a path (what a load spells from the policies folder)
_WORD = re.compile(r"[^\s()\[\]{}<>,;'\"]+")
_DOTTED = tuple({f"{d}{sep}" for d in (".", "..") for sep in (os.sep, "/")})
_INNER = tuple({f"{sep}{d}{sep}" for d in (".", "..") for sep in (os.sep, "/")})


def shown_text(text: str, name: Callable[[str], str] | None = None) -> str:
    """A message or hint as text and JSON output show it: each path in it outside backticks (user
    input is in backticks, and stays as written) named as ``shown_path`` names a problem's file.
    A message made while loading names another file as the load spelt it, from the policies
    folder (`see the inputs of ... in ../returns/decisions/x.yaml` inside returns/); it is kept so
    (caches and memos share it with copies of the repository, whose paths they rewrite) and
    normalised here, where it is shown. ``name``: how to name a path instead (GitHub annotations and
    SARIF: from the checkout's top, as they name the problem's file)."""
    if "." not in text:
        return text
    parts = text.split("`")
    for i in range(0, len(parts), 2):  # (the even parts are outside backticks)
        if "." in parts[i]:
            parts[i] = _WORD.sub(lambda m: _shown_word(m.group(), name or shown_path), parts[i])
    return "`".join(parts)


def _shown_word(word: str, name: Callable[[str], str]) -> str:
    if word.startswith(_DOTTED) or any(inner in word for inner in _INNER):
        return name(word)  # (a `:19` after the file's name: shown_path is lexical, it stays after it)
    return word


class Problem(Frozen):
    """What is wrong, as a value: the file, line and column (1-based) it is at, a stable code (in
    ``CODES`` below), a message with the user's input in backticks, a hint that says what to do, and
    its severity (`error` or `warning`). ``to_json`` is the one shape every command and format prints."""

    __match_args__ = ("file", "line", "col", "code", "message", "hint", "severity")
    __slots__ = __match_args__
    file: str
    line: int
    col: int
    code: str
    message: str
    hint: str
    severity: Severity

    def __init__(
        self, file: str, line: int, col: int, code: str, message: str, hint: str = "", severity: Severity = "error"
    ) -> None:
        set_field(self, "file", file)
        set_field(self, "line", line)
        set_field(self, "col", col)
        set_field(self, "code", code)
        set_field(self, "message", message)
        set_field(self, "hint", hint)
        set_field(self, "severity", severity)

    @classmethod
    def at(cls, pos: Pos, code: str, message: str, hint: str = "", severity: Severity = "error") -> Problem:
        return cls(pos.file, pos.line, pos.col, code, message, hint, severity)

    @property
    def pos(self) -> Pos:
        return Pos(self.file, self.line, self.col)

    def shown(self) -> Problem:
        """The problem as output shows it: its file as ``shown_path`` names it, the paths in its
        message and hint as ``shown_text`` names them."""
        return self.replace(file=shown_path(self.file), message=shown_text(self.message), hint=shown_text(self.hint))

    def to_json(self) -> dict[str, Any]:
        """The one JSON shape of a problem, in every command's and every format's output (its file
        as ``shown_path`` names it, the paths in its texts as ``shown_text`` does)."""
        return {
            "file": shown_path(self.file),
            "line": self.line,
            "column": self.col,
            "code": self.code,
            "severity": self.severity,
            "message": shown_text(self.message),
            "hint": shown_text(self.hint),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Problem:
        """The inverse of ``to_json`` (a problem read back from a cache or a tool's output)."""
        severity: Severity = "warning" if data.get("severity") == "warning" else "error"
        return cls(
            str(data["file"]),
            int(data["line"]),
            int(data["column"]),
            str(data["code"]),
            str(data["message"]),
            str(data.get("hint", "")),
            severity,
        )

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.file, self.line, self.col, self.code, self.message)

    def __str__(self) -> str:
        return one_line(
            f"{shown_path(self.file)}:{self.line}:{self.col}: {self.severity}[{self.code}]: {shown_text(self.message)}"
        )


def movable(problems: Iterable[Problem], path: str) -> bool:
    """Whether ``problems`` (found reading the file at ``path``) can be handed out for the same bytes
    at another path by changing their file alone: each is in ``path`` and no text quotes it. (The
    memos and caches that a copy of a repository in another folder shares with the original.)"""
    return all(p.file == path and path not in p.message and path not in p.hint for p in problems)


def moved(problems: Iterable[Problem], path: str) -> list[Problem]:
    """``problems`` with ``path`` as their file (see `movable`)."""
    return [p if p.file == path else p.replace(file=path) for p in problems]


# Every character that ends a line for some reader (Python's splitlines, a terminal, a CI log),
# the C1 controls (U+009B is a terminal's escape sequence in one character), and those that
# reorder the text shown around them (bidirectional overrides, embeddings, isolates and marks: a
# file name with U+202E prints its end backwards, "Trojan Source").
_BREAKS = {
    c: f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"
    for c in [
        *range(0x00, 0x09),
        *range(0x0A, 0x20),
        *range(0x7F, 0xA0),
        0x061C,
        0x200E,
        0x200F,
        0x2028,
        0x2029,
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
    ]
}
_BREAKS.update({0x0A: "\\n", 0x0D: "\\r"})


def kind_of(value: object) -> str:
    """What ``value`` is, in the words policy authors read (`none`, `boolean`, `number`, `string`,
    `mapping`, `list`; YAML's and the decision expressions'), for messages, which never name a
    Python type (`dict`, `str`, `StrictUndefined`)."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "mapping"
    if isinstance(value, (list, tuple)):
        return "list"
    return "value"


def a_kind(value: object) -> str:
    """`kind_of` with its article: "a string", "a mapping", "none"."""
    word = kind_of(value)
    return word if word == "none" else f"a {word}"


def one_line(text: str) -> str:
    """``text`` with line breaks and control characters shown as escapes (`\\n`, `\\x1b`).

    A file name, a test name or a message from a pull request can hold a newline: printed as is,
    `x\n::error::forged` or `::add-mask::` starts a line, and GitHub Actions runs it as a workflow
    command; a terminal escape could rewrite the screen. Text output is one line per line we write.
    """
    return text.translate(_BREAKS) if not text.isprintable() else text


class PolicyError(Exception):
    """Raised by the public API when asked for something that does not exist or cannot be answered.

    Carries problems so the CLI can print them like any other; ``usage`` marks errors in the
    request itself (unknown program, marketplace, decision) as opposed to problems in the data.
    """

    def __init__(self, problems: list[Problem], usage: bool = False) -> None:
        self.problems = problems
        self.usage = usage
        super().__init__("; ".join(p.message for p in problems))


# Stable codes and what they mean. Prefixes: Y = YAML reading, S = schema, L = layout,
# P = parameters and overlays, D = decisions, E = expressions, T = tests, G = pages and i18n,
# B = bundles, A = the decision service's requests.
CODES: dict[str, str] = {
    "Y001": "the file cannot be read (missing, a directory, or unreadable)",
    "Y002": "the file is not UTF-8 text (UTF-16 or UTF-32 text, invalid UTF-8) or contains NUL bytes (binary)",
    "Y003": "the file is empty",
    "Y004": "the file is larger than the size limit",
    "Y010": "YAML syntax error (an escape that is no character among them), or a file `fmt` cannot format stably",
    "Y011": "a tab character where YAML expects indentation",
    "Y012": "a key appears twice in one mapping",
    "Y013": "a tag other than the standard safe ones",
    "Y014": "a mapping key that is not a plain scalar",
    "Y015": "nesting deeper than the depth limit",
    "Y016": "more nodes than the node limit, or more aliased text than the file size limit, counting what aliases expand to (billion laughs)",
    "Y017": "a recursive alias",
    "Y018": "more than one YAML document in a file",
    "Y019": "a value that does not fit its explicit tag, or a number too long to read (over 4,300 digits)",
    "L001": "a YAML file whose kind is neither given by the layout nor declared with `kind:`",
    "L002": "the declared `kind:` disagrees with the file's place in the layout",
    "L003": "an id (program, decision, marketplace) that does not match its file or folder name",
    "L004": "a name that leads nowhere: a path policyctl cannot check, a file of no program, or an unknown"
    " program, marketplace, decision or date on the command line",
    "L005": "a symbolic link that leaves the repository, or a linked folder",
    "L006": "a file name that cannot be an id (page templates: ids become output paths and links)",
    "S001": "a value does not match the schema of its file kind",
    "P001": "a reference to a marketplace that is not declared",
    "P002": "an overlay sets a parameter the program does not declare",
    "P003": "a parameter value does not match the parameter's schema",
    "P004": "effective dates out of order or repeated",
    "P005": "numeric tiers overlap",
    "P006": "numeric tiers leave a gap",
    "P007": "numeric tiers do not cover the whole range",
    "P008": "two overlays for one marketplace",
    "P009": "a JSON Schema in the sources (a parameter's schema, a decision's inputs or outputs) is not valid,"
    " or would check less than it says (a key JSON Schema does not know, a `format` policyctl does not check,"
    " a `$ref` elsewhere, a `pattern` that backtracks), or a parameter's `format` is not one pages can show its"
    " values in",
    "P010": "a locale id that CLDR does not know",
    "P011": "two programs or marketplaces with the same id",
    "P012": "a parameter value with neither `source` nor `assumption` (a warning; `validate --evidence error` in CI)",
    "P013": "a parameter restates a marketplace attribute (`currency`, `time_zone`, `country`) with another value",
    "P014": "`assumed:` names a part of the value (a JSON Pointer such as `/0`) that the value does not have",
    "D001": "two rows match in a `unique` table",
    "D002": "a row can never be reached",
    "D003": "a constant output does not match the declared outputs schema",
    "D004": "the decision's inputs do not match its input schema",
    "D005": "an expression failed while evaluating",
    "D006": "`aggregate` in a table whose hit policy is not `collect`",
    "E001": "expression syntax error",
    "E002": "a name that is neither an input, a `let` name, `params`, `at` nor a helper",
    "E003": "a construct expressions may not use (attribute of an object, private name, unknown filter or test,"
    " `<`, `>`, `==`, `in`, `min` or `max` of date-times, compared as text, or of one with a value of no declared type)",
    "E004": "a parameter the program does not declare",
    "E005": "an expression longer than the length limit",
    "T001": "a test case's expected outputs differ from the actual ones",
    "T002": "a test case refers to an unknown decision, marketplace, input, output, row or tiered parameter",
    "T003": "a generated tier boundary case disagrees with the tier table",
    "G001": "a template does not compile, uses something the sandbox refuses, or includes, imports or extends"
    " templates that lead back to it",
    "G002": "a translation is missing",
    "G003": "a translation is fuzzy (its English changed)",
    "G004": "a translation is obsolete (its English no longer exists)",
    "G005": "a generated file is stale, missing or left over",
    "B001": "a file that is not a policyctl bundle (or cannot be read)",
    "B002": "a bundle whose contents do not match its digests (changed after it was made)",
    "B003": "a bundle signature that is missing or does not match (POLICYCTL_BUNDLE_KEY)",
    "B004": "a bundle this policyctl cannot use (another format, sections not of its shape, or code it did not"
    " generate)",
    "G006": "a translation states one of the program's facts (a number, amount, date, address) instead of its placeholder",
    "G007": "a page template names something the page context does not have (a parameter, label, decision or name)",
    "G008": "a page template uses a value kept off the pages (`on_pages: omit`) other than by testing `is omitted`",
    "G009": "a page's wording rests on an assumed value (a test, comparison or computation with it, or a worked"
    " example's answer) that the template does not mark as not yet confirmed",
    "G010": "a file in the output folder that policyctl did not write and a browser or a web server would run"
    " (a script, WebAssembly, or an HTML, SVG or XML document with active content; code a server runs, such as"
    " `.php`, or its configuration, such as `.htaccess` or `_headers`; without a type its name gives, by its first bytes)",
    "G011": "a relative link on a page (Markdown or HTML) to a file the build does not make, or to a `#fragment`"
    " no element of that page has (a heading's id is made from its text, in the page's language)",
    "A001": "a request the decision service cannot read (not JSON, a missing or mistyped field)",
    "A002": "a request larger than the service's limits (body size, batch length)",
    "A003": "a request that took longer than the service's time limit",
    "A004": "no such endpoint, program or decision in the service (or a method it does not answer)",
}
