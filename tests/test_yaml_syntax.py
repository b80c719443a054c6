"""YAML syntax errors in words for the author, at the place to edit (engine.source.syntax): each
broken text and the one problem `validate` gives for it. PyYAML's own words ("expected <block
end>, but found '<block mapping start>'", "mapping values are not allowed here") came a line late,
or at the end of the file, and named no bracket, quote or colon."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.source.loader import load_text
from support import run_cli

PROGRAM = "policies/returns/program.yaml"
TESTS = "policies/returns/tests/return_allowed.yaml"

# (file of `policyctl init`'s starter, its text, the broken text, what validate says)
STARTER = [
    (
        PROGRAM,
        "    label: Return window",
        "   label: Return window",
        "16:4: error[Y010]: this line is indented 3 spaces; the keys of the mapping above it start at column 5\n"
        "  hint: indent it 4 spaces to add it to that mapping, or 2 to add it to the one that starts with"
        " `return_window_days` on line 14",
    ),
    (
        PROGRAM,
        "    value: 30\n",
        "      value: 30\n",
        "18:7: error[Y010]: this line is indented 6 spaces; the keys of this mapping start at column 5\n"
        "  hint: indent it 4 spaces, as `description` on line 15",
    ),
    (  # (PyYAML: "expected <block end>" at the next line; the other shape of it is in SHAPES)
        PROGRAM,
        '      - from: "2025-01-01"',
        '      -from: "2025-01-01"',
        "22:7: error[Y010]: `-from` is read as a key, not as a list item: a list item needs a space after `-`\n"
        "  hint: write `- from`",
    ),
    (  # (it ran on to the next `"`, 13 lines below)
        PROGRAM,
        "title: Returns",
        'title: "Returns',
        '9:8: error[Y010]: this string is never closed: its text runs on to the `"` at line 22, column 15\n'
        '  hint: end it with `"` where its text ends; a `"` in the text is written `\\"`',
    ),
    (  # (to the apostrophe of a comment)
        PROGRAM,
        "title: Returns",
        "title: 'Returns",
        "9:8: error[Y010]: this string is never closed: its text runs on to the `'` at line 21, column 70\n"
        "  hint: end it with `'` where its text ends; a `'` in the text is written `''`",
    ),
    (
        PROGRAM,
        "title: Returns",
        "title: 'Buyer's returns'",
        "9:14: error[Y010]: this `'` ends the string, and `s returns'` follows it\n"
        "  hint: a `'` inside the string is written `''`: `'Buyer''s returns'`",
    ),
    (
        PROGRAM,
        "marketplaces: [us, de]",
        "marketplaces: [us, de",
        "11:15: error[Y010]: this `[` is never closed: the list it opens runs on to line 13\n"
        "  hint: end the list with `]` after its last item",
    ),
    (
        PROGRAM,
        "    schema: {type: boolean}",
        "    schema: {type: boolean",
        "27:13: error[Y010]: this `{` is never closed: the mapping it opens runs on to line 28\n"
        "  hint: end the mapping with `}` after its last item",
    ),
    (
        TESTS,
        "input: {days_since_delivery: 30}",
        "input: {days_since_delivery: 30",
        "11:12: error[Y010]: this `{` is never closed: the mapping it opens runs on to line 12\n"
        "  hint: end the mapping with `}` after its last item",
    ),
    (
        PROGRAM,
        "    value: 30\n",
        "    value:30\n",
        "18:10: error[Y010]: no space after the `:` of `value`: `value:30` is read as plain text, not as a key"
        " and its value\n"
        "  hint: write a space after the colon: `value: 30`",
    ),
    (
        PROGRAM,
        "    label: Return window",
        "    label Return window",
        "16:10: error[Y010]: this line has no `:`: `label Return window` is read as plain text, not as a key and"
        " its value\n"
        "  hint: write `:` after the key: `label: Return window`",
    ),
    (
        PROGRAM,
        "title: Returns",
        "title: Returns: the help",
        "9:8: error[Y010]: `Returns: the help` holds `: `, which only a value in quotes may hold\n"
        '  hint: quote the value: `"Returns: the help"`',
    ),
    (  # (quoting it gave `"20250101"`, which is not a date either)
        PROGRAM,
        'from: "2025-01-01"',
        "from: 20250101",
        "22:15: error[S001]: /parameters/return_window_days/changes/0/from: expected string, got integer `20250101`\n"
        '  hint: write the date as `"2025-01-01"`, in quotes',
    ),
    (
        TESTS,
        'at: "2024-06-01"',
        "at: 20240601",
        "10:9: error[S001]: /cases/0/at: expected string, got integer `20240601`\n"
        '  hint: write the date as `"2024-06-01"`, in quotes',
    ),
    (
        TESTS,
        'at: "2024-06-01"',
        "at: 20241301",
        "10:9: error[S001]: /cases/0/at: expected string, got integer `20241301`\n"
        '  hint: write an ISO date in quotes, e.g. `"2024-03-01"`',
    ),
]


@pytest.mark.parametrize("file, written, broken, said", STARTER)
def test_a_broken_starter_file_says_what_is_wrong_where_to_edit(
    init_starter: Path, file: str, written: str, broken: str, said: str
) -> None:
    text = (init_starter / file).read_text(encoding="utf-8")
    assert written in text
    done = run_cli("validate", "--stdin-filename", file, cwd=init_starter, stdin=text.replace(written, broken, 1))
    assert (done.code, done.out) == (1, f"{file}:{said}\n1 error in 1 of 1 file\n"), done


# (shapes the starter has no place for: a text, and line:col, message and hint of its problem)
SHAPES = [
    (
        "a:\n    b: 1\n   c: 2\n",
        "3:4 this line is indented 3 spaces; the keys of the mapping above it start at column 5",
        "indent it 4 spaces to add it to that mapping, or 0 to add it to the one that starts with `a` on line 1",
    ),
    (
        "a:\n  b: 1\n    c: 2\n",  # (PyYAML: "mapping values are not allowed here")
        "3:5 this line is indented 4 spaces; the keys of this mapping start at column 3",
        "indent it 2 spaces, as `b` on line 2; if the line is part of `b`'s value, quote the value",
    ),
    (
        "a:\n  - b: 1\n   c: 2\n",
        "3:4 this line is indented 3 spaces; the keys of the mapping above it start at column 5",
        "indent it 4 spaces to add it to that mapping",
    ),
    (  # (a dash without its space: `-b` is a key, and the next line is indented as an item's keys are)
        "a:\n  -b: 1\n    c: 2\n",
        "2:3 `-b` is read as a key, not as a list item: a list item needs a space after `-`",
        "write `- b`",
    ),
    (  # (a key that starts with `-`, and a line indented past it by something else than an item's 2)
        "a:\n  -b: 1\n     c: 2\n",
        "3:6 this line is indented 5 spaces; the keys of this mapping start at column 3",
        "indent it 2 spaces, as `-b` on line 2; if the line is part of `-b`'s value, quote the value",
    ),
    (
        "a:\n  - x\n - y\n",
        "3:2 this line is indented 1 space; the items of the list above it start at column 3",
        "indent it 2 spaces to add it to that list",
    ),
    (
        'a: "x\nb: 1\n',
        '1:4 this string is never closed: the file ends before a `"` ends it',
        'end it with `"` where its text ends; a `"` in the text is written `\\"`',
    ),
    (
        'a: "x\n  y" z\n',  # (a string over two lines, closed: the text after it is the fault)
        "2:6 `z` follows the string's closing `\"`",
        "quote the whole value, or end the line after the closing quote",
    ),
    (
        "a: [1, 2\n",
        "1:4 this `[` is never closed: the list it opens runs on to the end of the file",
        "end the list with `]` after its last item",
    ),
    (
        "a:\n  x: 1\n  [b: 1\n  c: 2\n",  # (PyYAML: "could not find expected ':'", line 4)
        "3:3 this `[` is never closed: the list it opens runs on to line 4",
        "end the list with `]` after its last item",
    ),
    (
        'a:\n  x: 1\n  "b: 1\n  c: "2"\n',  # (a key's quote: the same, line 4)
        '3:3 this string is never closed: its text runs on to the `"` at line 4, column 6',
        'end it with `"` where its text ends; a `"` in the text is written `\\"`',
    ),
    (
        "a:\n  b: 1\n  ,  c: 2\n",  # (a stray `,`, not the indentation: PyYAML's words)
        "3:3 YAML syntax error: expected the end of the block, but found `,` (while parsing a block mapping at"
        " line 2, column 3)",
        "check indentation and quoting on this line and the one before",
    ),
    (
        "a: {x: 1 y: 2}\n",
        "1:11 expected `,` or `}` in the mapping that `{` opens at column 4, but found `:`",
        "separate the items with `, `; quote an item that holds `:`, `,`, `[` or `{`",
    ),
    (
        "a: [x, {b: 1]\n",
        "1:8 this `{` is never closed: a `]` comes before its `}`",
        "end the mapping with `}` after its last item",
    ),
    (
        "a:\n  b:20\n  c: 1\n",  # (the first key: PyYAML said "mapping values are not allowed here")
        "2:4 no space after the `:` of `b`: `b:20` is read as plain text, not as a key and its value",
        "write a space after the colon: `b: 20`",
    ),
    (
        "a:\n  b\n  c: 1\n",
        "2:4 this line has no `:`: `b` is read as plain text, not as a key and its value",
        "write `:` after the key: `b:`",
    ),
    (
        "a:\n  c: 1\n  b 2  # the last\n",  # (PyYAML: "could not find expected ':'", line 4)
        "3:4 this line has no `:`: `b 2` is read as plain text, not as a key and its value",
        "write `:` after the key: `b: 2`",
    ),
    (
        'a: say "hi": now\n',
        '1:4 `say "hi": now` holds `: `, which only a value in quotes may hold',
        'quote the value: `"say \\"hi\\": now"`',
    ),
    (
        "a:\n  b: 1\n - c\n",  # (no rule above says more: PyYAML's words, without its jargon)
        "3:2 YAML syntax error: expected the end of the block, but found a list item (while parsing a block"
        " mapping at line 1, column 1)",
        "check indentation and quoting on this line and the one before",
    ),
]


@pytest.mark.parametrize("text, said, hint", SHAPES)
def test_a_syntax_error_is_said_at_the_place_to_edit(text: str, said: str, hint: str) -> None:
    (found,) = load_text(text, "f.yaml").problems
    assert (found.code, f"{found.line}:{found.col} {found.message}", found.hint) == ("Y010", said, hint)


def test_a_tab_stays_y011() -> None:
    (found,) = load_text("a:\n\tb: 1\n", "f.yaml").problems
    assert (found.code, found.line, found.col) == ("Y011", 2, 1)
