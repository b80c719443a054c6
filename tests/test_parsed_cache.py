"""What templates' texts give once parsed, kept on disk for the next process (engine.cache.parsed):
a later process reads the same answer without parsing; a bad entry is a miss; the store off keeps
nothing."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest

from engine.cache import memo, pages, parsed, store
from engine.i18n import catalogs
from support import ROOT

CRAFTED = [
    "{# Translators: a note #}\n{% trans %}Hello {{ name }}{% endtrans %}\n{{ _('Bye') }}\n",
    "{{ ngettext('%(num)s x', '%(num)s xs', n) }}{{ pgettext('c', 'a') }}{{ npgettext('c', 'one', 'many', n) }}",
    "{% trans n=1 %}one {{ n }}{% pluralize %}many {{ n }}{% endtrans %}{{ _(name) }}{{ gettext() }}",
    "{% include 'layout.html.j2' %}{% include name %}{% import 'x.md.j2' as x %}",
    "plain text: {{ not jinja",
]


def _templates() -> list[Path]:
    return sorted(p for p in (ROOT / "policies").rglob("*") if p.is_file() and p.suffix in (".j2", ".md"))


def _extract(text: bytes) -> list[Any]:
    found = catalogs.jinja_extract(io.BytesIO(text), catalogs.KEYWORDS, catalogs.COMMENT_TAGS, catalogs.JINJA_OPTIONS)
    return list(found)


def _no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on any parse of a template fails the test: what is read comes from the disk."""

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("parsed again")

    monkeypatch.setattr("engine.templates.check.parse", refused)
    monkeypatch.setattr("engine.templates.check.tree_for_extraction", refused)
    monkeypatch.setattr("jinja2.ext.extract_from_ast", refused)


def test_a_new_process_extracts_every_template_from_the_disk_as_parsing_does(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [p.read_bytes() for p in _templates() if p.name.endswith(".j2")] + [t.encode() for t in CRAFTED[:3]]
    memo.clear_all()
    parsing = [_extract(text) for text in texts]
    memo.clear_all()  # (as a new process: only the disk remembers)
    _no_parsing(monkeypatch)
    assert [_extract(text) for text in texts] == parsing
    assert any(isinstance(message, tuple) for found in parsing for _, _, message, _ in found)  # (plurals: tuples again)


def test_a_new_process_knows_which_templates_name_the_layout_from_the_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folders = [ROOT / "policies" / "_site", *sorted((ROOT / "policies").glob("*/pages"))]
    for i, text in enumerate(CRAFTED):  # (one naming the layout, one naming a computed name, one not Jinja)
        (tmp_path / f"t{i}").mkdir()
        (tmp_path / f"t{i}" / "page.md.j2").write_text(text, encoding="utf-8")
        folders.append(tmp_path / f"t{i}")
    memo.clear_all()
    parsing = [pages._reads_layout(str(folder), site=folder.name == "_site") for folder in folders]
    memo.clear_all()
    _no_parsing(monkeypatch)
    assert [pages._reads_layout(str(folder), site=folder.name == "_site") for folder in folders] == parsing
    assert parsing[-5:] == [False, False, False, True, False]


def test_an_entry_that_is_not_the_answer_is_a_miss(isolated_cache: Path) -> None:
    """An entry under another key, not JSON, or of another shape: parsed again, the right answer."""
    text = CRAFTED[0].encode()
    memo.clear_all()
    expected = _extract(text)
    folder = isolated_cache / "templates"
    [entry] = [p for p in folder.iterdir() if p.name.startswith("parsed-")]
    for bad in (b"{", b'{"key": "another", "value": []}', entry.read_bytes().replace(b'"value": [', b'"value": [7, ')):
        entry.write_bytes(bad)
        memo.clear_all()
        assert _extract(text) == expected
        assert entry.read_bytes() != bad  # (written again)


def test_with_the_store_off_nothing_is_kept(monkeypatch: pytest.MonkeyPatch, isolated_cache: Path) -> None:
    monkeypatch.setenv("POLICYCTL_CACHE", "off")
    memo.clear_all()
    _extract(CRAFTED[1].encode())
    assert not os.path.exists(isolated_cache) and store.folder("templates") is None
    assert parsed.get("jinja_extract", (b"x",), tuple) is None
