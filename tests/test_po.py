"""engine.i18n.po against Babel: `validate` reads catalogs and extracts templates without Babel,
and must see exactly what Babel sees (messages, translations, contexts, comments, lines, obsolete
entries, plural forms) or hand the file to Babel, whose answer or problem is then the one reported."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest

from engine.i18n import catalogs, po
from engine.i18n.source import PLACEHOLDER
from support import ROOT


def _view(catalog: Any) -> dict[str, Any]:
    """Everything a check may read of a catalog (Babel's `python-format` flags aside: no check reads them)."""

    def message(m: Any) -> tuple[Any, ...]:
        flags = sorted(set(m.flags) - {"python-format", "python-brace-format"})
        return (m.id, m.string, m.context, flags, m.fuzzy, m.auto_comments, m.user_comments, m.locations, m.lineno)

    return {
        "messages": [message(m) for m in catalog if m.id],
        "get": [catalogs.message_key(m) for m in catalog if m.id and catalog.get(*catalogs.message_key(m)) is not m],
        "obsolete": [(k, message(m)) for k, m in catalog.obsolete.items()],
        "plural": (catalog.num_plurals, catalog.plural_expr),
    }


def _both(path: Path, tag: str | None) -> tuple[Any, Any]:
    babel_catalog, babel_problems = catalogs.read(str(path), tag)
    plain_catalog, plain_problems = catalogs.read_plain(str(path), tag)
    assert plain_problems == babel_problems
    return babel_catalog, plain_catalog


def _tag(path: Path) -> str | None:
    return None if path.suffix == ".pot" else path.stem


CATALOGS = sorted({*ROOT.glob("policies/**/locales/*.po*"), *ROOT.glob("engine/**/locales/*.po*")})


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_catalog_is_read_as_babel_reads_it_without_babel(path: Path) -> None:
    babel_catalog, plain_catalog = _both(path, _tag(path))
    assert isinstance(plain_catalog, po.Catalog)  # what policyctl writes is the plain form
    assert _view(plain_catalog) == _view(babel_catalog)


HEADER = (
    '# a comment\nmsgid ""\nmsgstr ""\n"Project-Id-Version: x 1\\n"\n"POT-Creation-Date: 2000-01-01 00:00+0000\\n"\n'
    '"PO-Revision-Date: YEAR-MO-DA HO:MI+ZONE\\n"\n"Language: de\\n"\n"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n'
    '"MIME-Version: 1.0\\n"\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
)

# (text after HEADER, whether the plain reader takes it: otherwise Babel reads it)
EDGES: list[tuple[str, bool]] = [
    ('msgid "a"\nmsgstr "b"\n', True),
    (
        '#. note\n#. note\n#. other\n# mine\n#: a.j2:3 b.j2\n#, fuzzy, python-format\nmsgid "a %(x)s"\nmsgstr "b"\n',
        True,
    ),
    ('msgid ""\n"multi "\n"line \\"quoted\\" \\\\ \\t tab\\n"\nmsgstr "x"\n"y"\n', True),
    ('msgctxt "ctx"\nmsgid "a"\nmsgstr "b"\n\nmsgid "a"\nmsgstr "c"\n', True),
    ('msgctxt ""\nmsgid "a"\nmsgstr "b"\n', True),
    ('msgid "one"\nmsgid_plural "many"\nmsgstr[0] "eins"\nmsgstr[1] "viele"\n', True),
    ('msgid "one"\nmsgid_plural "many"\nmsgstr[1] "viele"\n', True),
    ('#, fuzzy\n#| msgid "old"\nmsgid "a"\nmsgstr "b"\n\n#~ msgid "gone"\n#~ msgstr "weg"\n', True),
    ('#~ msgctxt "c"\n#~ msgid "gone"\n#~ msgstr ""\n#~ "weg"\n', True),
    ('msgid "a"\r\nmsgstr "b"\r\n', True),
    ('msgid "a"\nmsgstr "b"\n# trailing remark\n', True),
    # Babel's own answers: refused, merged, or read its own way
    ('msgid "one"\nmsgid_plural "many"\nmsgstr[0] "a"\nmsgstr[2] "c"\n', False),  # more forms than nplurals
    ('msgid "a"\n', False),  # no msgstr
    ('msgid "a"\nmsgstr "b"\nmsgid "a"\nmsgstr "c"\n', False),  # twice: Babel merges
    ('msgid "a"\nmsgstr "b"\nmsgfoo "x"\n', False),  # unknown keyword
    ('"stray"\nmsgid "a"\nmsgstr "b"\n', False),
    ('msgid "a"\nmsgstr "b \\a \\x"\n', False),  # escapes Babel versions read differently
    ('msgid "a"\nmsgstr "b"c"\n', False),
    ('#-#-#-#-#  conflict\nmsgid "a"\nmsgstr "b"\n', False),
    ('msgid "a"\n#~ msgstr "b"\n', False),
    ('msgid "a"\nmsgstr[0] "b"\n', False),
    ('msgid\t"a"\nmsgstr "b"\n', False),
    ('#: \u2068a file.j2\u2069:3\nmsgid "a"\nmsgstr "b"\n', False),
    ('msgid "a"\nmsgstr "b\n', False),  # unclosed: `read`'s own G002
]


@pytest.mark.parametrize("body, plain", EDGES)
def test_crafted_catalogs_are_read_as_babel_reads_them(tmp_path: Path, body: str, plain: bool) -> None:
    path = tmp_path / "de.po"
    path.write_bytes((HEADER + body).encode("utf-8"))
    babel_catalog, plain_catalog = _both(path, "de")
    assert (po.read((HEADER + body).replace("\r", ""), "de") is not None) == plain or "\r" in body
    if babel_catalog is None:
        assert plain_catalog is None
    else:
        assert _view(plain_catalog) == _view(babel_catalog)


HEADERS: list[tuple[str, str | None, bool]] = [
    ('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n', None, True),  # a template
    ('msgid ""\nmsgstr ""\n"Plural-Forms: nplurals=3; plural=(n==1 ? 0 : n>=2 && n<=4 ? 1 : 2);\\n"\n', "cs", True),
    ('msgid ""\nmsgstr ""\n"Plural-Forms: nplurals=1; plural=0;\\n"\n"Language: zh-Hans\\n"\n', "zh-Hans", True),
    ('msgid ""\nmsgstr ""\n"Plural-Forms: nplurals=2; plural=(n != 1) import os;\\n"\n', "de", True),  # G002
    ('msgid ""\nmsgstr ""\n"Language: de\\n"\n', "de", False),  # plural forms from Babel's locale data
    ('msgid ""\nmsgstr ""\n"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n"Language: fr\\n"\n', "de", False),
    ('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=latin-1\\n"\n', None, False),
    ('msgid ""\nmsgstr ""\n"POT-Creation-Date: 2000-13-01 00:00+0000\\n"\n', None, False),  # G002
    ('msgid ""\nmsgstr ""\n"POT-Creation-Date: soon\\n"\n', None, False),
    ('msgid ""\nmsgstr ""\n"X-Folded: a\\n"\n" b\\n"\n', None, False),
    ("# only a remark\n#, fuzzy\n", None, True),  # remarks and flags of the message after them
    ('msgid "one"\nmsgid_plural "many"\nmsgstr[0] "a"\nmsgstr[1] "b"\n', "de", False),  # forms from the locale
    ('msgid "one"\nmsgid_plural "many"\nmsgstr[0] "a"\nmsgstr[1] "b"\n', None, True),
]


@pytest.mark.parametrize("text, tag, plain", HEADERS)
def test_headers_are_read_as_babel_reads_them(tmp_path: Path, text: str, tag: str | None, plain: bool) -> None:
    path = tmp_path / ("messages.pot" if tag is None else f"{tag}.po")
    path.write_text(text + '\nmsgid "a"\nmsgstr "b"\n', encoding="utf-8")
    babel_catalog, plain_catalog = _both(path, tag)
    assert (po.read(path.read_text(encoding="utf-8"), tag) is not None) == plain
    if babel_catalog is None:
        assert plain_catalog is None
    else:
        assert _view(plain_catalog) == _view(babel_catalog)


def _domains() -> list[tuple[str, Any]]:
    from engine.commands.validate import translation_domains
    from engine.model.repository import load

    repo = load(str(ROOT / "policies"))
    repo.languages = None
    return sorted(translation_domains(repo).items())


def test_templates_are_extracted_as_babel_extracts_them() -> None:
    """The catalog `check` compares with messages.pot: the same messages, locations, comments."""
    for name, domain in _domains():
        babel_catalog, babel_problems = catalogs.extract(domain)
        plain_catalog, plain_problems = catalogs.template_messages(domain)
        assert isinstance(plain_catalog, po.Catalog), name
        assert plain_problems == babel_problems
        assert _view(plain_catalog) == _view(babel_catalog)
        assert catalogs.messages_of(plain_catalog) == catalogs.messages_of(babel_catalog)


@pytest.mark.parametrize(
    "template",
    [
        "{{ _('a') }}{{ _('a') }}{# Translators: one #}\n{{ _('b') }}\n{# Translators: two #}{{ _('b') }}",
        "{{ ngettext('%(num)s x', '%(num)s xs', n) }}{{ _('%(num)s x') }}{{ pgettext('c', 'a') }}{{ pgettext('c') }}",
        "{{ npgettext('c', 'one', 'many', n) }}{{ _(name) }}{{ gettext() }}{{ ngettext('a') }}",
        "{% trans n=1 %}one {{ n }}{% pluralize %}many {{ n }}{% endtrans %}{% trans %}  spaced\n  out {% endtrans %}",
        "{{ _('') }}{{ _('after an empty message') }}",  # Babel's extraction, with its warning
        "{% if %}",
        "{{ 1" + "0" * 5000 + " }}",
    ],
)
def test_crafted_templates_are_extracted_as_babel_extracts_them(tmp_path: Path, template: str) -> None:
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "t.md.j2").write_text(template, encoding="utf-8")
    domain = catalogs.Domain("p", str(tmp_path), str(tmp_path / "pages"), ("en", "de"), (("label:x", "X", 3, "n"),))
    babel_catalog, babel_problems = catalogs.extract(domain)
    plain_catalog, plain_problems = catalogs.template_messages(domain)
    assert plain_problems == babel_problems
    assert _view(plain_catalog) == _view(babel_catalog)


# -- emphasis counted without markdown-it -----------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _markdown_it() -> Any:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark")


def _markdown_it_count(text: str) -> int:
    html: str = _markdown_it().renderInline(PLACEHOLDER.sub("x", text))
    return html.count("<strong>") + html.count("<em>")


def test_emphasis_is_counted_as_markdown_it_counts_it() -> None:
    """`_delimiter_emphasis` against markdown-it on every catalog text of the repository (each of
    which it counts itself) and on random texts of delimiters, words, spaces and punctuation."""
    import random

    texts = set()
    for path in CATALOGS:
        catalog, _ = catalogs.read_plain(str(path), _tag(path))
        for m in catalog or ():
            for text in [*(m.id if isinstance(m.id, tuple) else [m.id]), *catalogs.message_forms(m)]:
                if "*" in text or "_" in text:
                    texts.add(text)
    for text in sorted(texts):
        counted = catalogs.delimiter_emphasis(PLACEHOLDER.sub("x", text))
        assert counted == _markdown_it_count(text), text
    pieces = "* ** *** _ __ a bc . : ： 例 ( ) ' ! 1 é - \t".split(" ") + [" "]
    rng = random.Random(17)
    decided = 0
    for _ in range(4000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 14)))
        counted = catalogs.delimiter_emphasis(text)
        if counted is not None:
            decided += 1
            assert counted == _markdown_it_count(text), repr(text)
    assert decided == 4000  # every piece above is in the plain form


@pytest.mark.parametrize(
    "text", ["a\\*b*", "`*a*`", "[*a*](u)", "<b>*a*</b>", "&amp;*a*", "*a*\nb", "*a*\u00a0", "€*a*", "*a*\u200b"]
)
def test_other_inline_markup_is_left_to_markdown_it(text: str) -> None:
    assert catalogs.delimiter_emphasis(text) is None  # markdown-it counts these


PO_HEAD = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'


@pytest.mark.parametrize(
    ("body", "line", "said"),
    [
        # Babel kept one of the two without a word: which translation is published?
        (
            'msgid "Fee"\nmsgstr "Gebühr"\n\nmsgid "Fee"\nmsgstr "Entgelt"\n',
            8,
            "the message `Fee` is given twice (first at line 5)",
        ),
        (
            'msgctxt "a"\nmsgid "Fee"\nmsgstr "x"\n\nmsgctxt "a"\nmsgid "Fee"\nmsgstr "y"\n',
            9,
            "given twice (first at line 5)",
        ),
        # and published `\q` as the two characters
        ('msgid "Fee"\nmsgstr "Geb\\q"\n', 6, "`\\q` is not an escape gettext knows"),
    ],
)
def test_what_msgfmt_refuses_is_not_read(tmp_path: Path, body: str, line: int, said: str) -> None:
    path = tmp_path / "de.po"
    path.write_text(PO_HEAD + body, encoding="utf-8")
    for read in (catalogs.read, catalogs.read_plain):
        catalog, problems = read(str(path), "de")
        assert catalog is None and [(p.code, p.line) for p in problems] == [("G002", line)], problems
        assert said in problems[0].message


TWO_FORMS = 'write its 2 translations (one per plural form of the catalog\'s Plural-Forms header): `msgstr[0] "..."` `msgstr[1] "..."`'


@pytest.mark.parametrize(
    ("body", "at", "said", "hint"),
    [
        # Babel read `x` as the translation; msgfmt: "keyword "x" unknown", "syntax error"
        (
            'msgid "Fee"\nmsgstr Gebühr\n',
            (7, 8),
            "`msgstr` is followed by `Gebühr`, not a quoted string",
            'write the text in double quotes: `msgstr "Gebühr"`',
        ),
        (
            'msgid "Fee"\nmsgstr\n',
            (7, 7),
            "`msgstr` is followed by nothing, not a quoted string",
            'write the text in double quotes: `msgstr "..."`',
        ),
        (
            'msgctxt a\nmsgid "Fee"\nmsgstr "x"\n',
            (6, 9),
            "`msgctxt` is followed by `a`",
            'write the text in double quotes: `msgctxt "a"`',
        ),
        # Babel read it as the translation; msgfmt: "missing 'msgid_plural' section"
        (
            'msgid "Fee"\n  msgstr[0] "Gebühr"\n',
            (7, 3),
            "`msgstr[0]` is a plural form, but the message `Fee` has no plural (`msgid_plural`)",
            'write its one translation as `msgstr "..."` (`msgstr[N]` are the forms of a plural message)',
        ),
        # Babel read it as form 0, form 1 empty; msgfmt: "syntax error"
        (
            'msgid "Day"\nmsgid_plural "Days"\nmsgstr "Tag"\n',
            (8, 1),
            "the message `Day` has a plural (`msgid_plural`): its translations are written `msgstr[0]`",
            TWO_FORMS,
        ),
        # Babel: "missing msgstr for msgid" at the line after; msgfmt: "missing 'msgstr[]' section"
        (
            'msgid "Day"\nmsgid_plural "Days"\n\nmsgid "Fee"\nmsgstr "x"\n',
            (7, 1),
            "the message `Day` has no translation (`msgstr`)",
            TWO_FORMS,
        ),
        ('msgid "Fee"\n', (6, 1), "the message `Fee` has no translation (`msgstr`)", 'write `msgstr ""` after it'),
        # the escape and the open string at their column (msgfmt: "invalid control sequence", "end-of-line within string")
        (
            'msgid "Fee"\nmsgstr "Geb\\qühr"\n',
            (7, 12),
            "`\\q` is not an escape gettext knows",
            "write `\\\\` for a backslash",
        ),
        ('msgid "Fee"\nmsgstr  "Gebühr\n', (7, 9), "a string is not closed", 'end the line with `"`'),
    ],
)
def test_what_msgfmt_refuses_is_refused_at_its_place(
    tmp_path: Path, body: str, at: tuple[int, int], said: str, hint: str
) -> None:
    """`msgfmt --check` refuses each (GNU gettext 0.21); Babel read the first five without a word."""
    path = tmp_path / "de.po"
    path.write_text(
        PO_HEAD.replace("\n\n", '\n"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n', 1) + body, encoding="utf-8"
    )
    for read in (catalogs.read, catalogs.read_plain):
        catalog, problems = read(str(path), "de")
        assert catalog is None and [(p.code, p.line, p.col) for p in problems] == [("G002", *at)], problems
        assert said in problems[0].message and problems[0].hint.startswith(hint), problems[0]


ARABIC = (
    "nplurals=6; plural=(n == 0 ? 0 : n == 1 ? 1 : n == 2 ? 2 : n % 100 >= 3 && n % 100 <= 10 ? 3 : "
    "n % 100 >= 11 && n % 100 <= 99 ? 4 : 5);"
)
ARABIC_HINT = f'`"Plural-Forms: {ARABIC}\\n"` (CLDR\'s rule for `ar`, as `policyctl i18n update` writes it)'
PLURAL = 'msgid "One item"\nmsgid_plural "%(count)s items"\n' + "".join(
    f'msgstr[{i}] "{i}: %(count)s"\n' for i in range(6)
)


def _headed(plural_forms: str) -> str:
    return f'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n"Plural-Forms: {plural_forms}\\n"\n\n'


@pytest.mark.parametrize(
    ("text", "tag", "line", "said", "hint"),
    [
        # a byte order mark (Notepad's UTF-8): "Unknown or misformatted keyword on 0", "fix the PO syntax"
        (
            "\ufeff" + PO_HEAD + 'msgid "Fee"\nmsgstr "Gebühr"\n',
            "de",
            1,
            "it starts with a byte order mark (U+FEFF)",
            "save it as UTF-8 without a byte order mark (BOM)",
        ),
        # a Plural-Forms header gettext cannot read: Python's "invalid literal for int() with base 10:
        # '6 plural=n' on 3", at the first message's line
        (_headed("nplurals=6 plural=n;") + PLURAL, "ar", 4, "header `nplurals=6 plural=n;` is not", ARABIC_HINT),
        (_headed("nplurals=six; plural=n;") + PLURAL, "ar", 4, "`nplurals=six; plural=n;` is not", ARABIC_HINT),
        (
            _headed("plural=(n != 1);") + PLURAL,
            "ar",
            4,
            "`plural=(n != 1);` is not `nplurals=N; plural=FORMULA;`",
            ARABIC_HINT,
        ),
        # a form past the header's nplurals (an English header in an Arabic catalog): Babel's "msg has
        # more translations than num_plurals of catalog on 6", its line counted from 0
        (
            _headed("nplurals=2; plural=(n != 1);") + PLURAL,
            "ar",
            10,
            "`msgstr[2]` is a plural form the catalog does not have: its Plural-Forms header says nplurals=2",
            "give the header the language's rule " + ARABIC_HINT,
        ),
        (
            _headed(ARABIC) + PLURAL.replace('msgstr[5] "5: %(count)s"\n', 'msgstr[5] "5"\nmsgstr[6] "6"\n'),
            "ar",
            14,
            "`msgstr[6]` is a plural form the catalog does not have: its Plural-Forms header says nplurals=6",
            "remove the forms after `msgstr[5]`",
        ),
    ],
)
def test_what_gettext_and_babel_refuse_is_said_in_our_words(
    tmp_path: Path, text: str, tag: str, line: int, said: str, hint: str
) -> None:
    """Each at its line, in words of this tool (not Babel's, whose line counts from 0, nor Python's),
    with a hint that can be followed."""
    path = tmp_path / f"{tag}.po"
    path.write_text(text, encoding="utf-8")
    for read in (catalogs.read, catalogs.read_plain):
        catalog, problems = read(str(path), tag)
        assert catalog is None and [(p.code, p.line, p.col) for p in problems] == [("G002", line, 1)], problems
        assert problems[0].message.startswith("the catalog cannot be read: ") and said in problems[0].message
        assert problems[0].hint.endswith(hint), problems[0].hint


def test_babels_line_is_not_in_the_message(tmp_path: Path) -> None:
    """Babel ends a message with the line counted from 0 ("on 4"): beside the problem's line, 5."""
    path = tmp_path / "de.po"
    path.write_text(PO_HEAD + 'msgid "Fee"\nmsgtsr "x"\n', encoding="utf-8")
    catalog, problems = catalogs.read(str(path), "de")
    assert catalog is None and [(p.line, p.message) for p in problems] == [
        (6, "the catalog cannot be read: Unknown or misformatted keyword")
    ]


@pytest.mark.parametrize(
    "body",
    [
        'msgctxt "a"\nmsgid "Fee"\nmsgstr "x"\n\nmsgctxt "b"\nmsgid "Fee"\nmsgstr "y"\n',  # other contexts
        'msgid "Fee"\nmsgstr "x"\n\n#~ msgid "Fee"\n#~ msgstr "old"\n',  # an obsolete entry
        'msgid "a\\\\q \\" \\n \\t"\nmsgstr "b\\\\q"\n',  # escaped backslashes, the known escapes
    ],
)
def test_what_msgfmt_takes_is_read(tmp_path: Path, body: str) -> None:
    path = tmp_path / "de.po"
    path.write_text(PO_HEAD + body, encoding="utf-8")
    catalog, problems = catalogs.read(str(path), "de")
    assert catalog is not None and problems == [], problems
