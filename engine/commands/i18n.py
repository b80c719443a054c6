"""`policyctl i18n check`: every missing, fuzzy, refused or obsolete message, and each locale's completeness.

Returns an `I18nCheck`; never prints, never exits. (`extract` and `update` write catalogs only:
each program's `pages/messages.pot` and `locales/*.po`, and `_site`'s, paths made from the plan.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.problems import Problem


@dataclass
class I18nCheck:
    usage: tuple[str, str] | None = None  # (message, hint): an unknown program: exit 2
    errors: list[Problem] = field(default_factory=list)  # the repository's own problems: nothing checked
    documents: int = 0
    problems: list[Problem] = field(default_factory=list)
    files: int = 0  # catalogs and templates looked at
    stats: list[tuple[str, Any]] = field(default_factory=list)  # (domain, engine.i18n.catalogs.Completeness)

    @property
    def exit_code(self) -> int:
        failed = self.errors or any(p.severity == "error" for p in self.problems)
        return 2 if self.usage is not None else 1 if failed else 0


def check(root: str, names: tuple[str, ...] | list[str] = (), languages: tuple[str, ...] | None = None) -> I18nCheck:
    """Check the catalogs of the domains ``names`` (default: all) in the published ``languages``
    (policyctl.toml; default: every marketplace's). Raises engine.PolicyError when ``root`` cannot
    be loaded at all."""
    from engine import load
    from engine.i18n import catalogs as i18n
    from engine.site import build as site

    repo = load(root)
    repo.languages = languages
    errors = [p for p in repo.problems if p.severity == "error"]
    if errors:
        return I18nCheck(errors=errors, documents=len(repo._documents))
    plan = site.plan(repo)
    unknown = [n for n in names if n not in plan.domains]
    if unknown:
        return I18nCheck(usage=(f"no pages for `{unknown[0]}`", f"known: {', '.join(sorted(plan.domains))}"))
    out = I18nCheck()
    for name, domain in sorted(plan.domains.items()):
        if names and name not in names:
            continue
        result = i18n.domain_check(repo, name, domain)  # what validate and build refuse, G006 included
        # a language a `translations: fallback` program shows in English meanwhile: warnings, as build says
        out.problems += i18n.as_fallback(result.problems, plan.fallbacks.get(name, ()))
        out.files += 1 + len(domain.targets)
        out.stats += [(domain.name, s) for s in result.stats]
    return out


def layout_gaps(plan: Any) -> list[str]:
    """The published languages policyctl's default page layout has no catalog for (the plan's
    site domain; empty when the repository has its own layout)."""
    import os

    from engine import packaged
    from engine.i18n.catalogs import SITE

    domain = plan.domains.get(SITE)
    if domain is None or os.path.realpath(domain.folder) != os.path.realpath(packaged.default_site_dir()):
        return []
    return [tag for tag in domain.targets if not os.path.exists(domain.po(tag))]


def copy_default_layout(root: str) -> str:
    """Copy policyctl's default page layout into ``root``/_site (a folder that must not exist), so
    that its catalogs can be translated (a language it has none for) or the layout changed. From
    then on the repository's copy is its layout (engine.packaged.site_dir). The copy's path."""
    import os
    import shutil

    from engine import packaged

    dest = os.path.join(root, packaged.SITE)
    shutil.copytree(packaged.default_site_dir(), dest, ignore=shutil.ignore_patterns("__pycache__"))
    return dest
