"""JSON's types and equality as plain predicates: the small runtime every schema check shares.

Generated validators (engine/schema/_compiled.py, and those compiled at run time by
engine.schema.codegen) import these, never their generator; engine.schema.fastcheck and
engine.decisions.inputs use the same ones. JSON's rules, not Python's: a boolean is not a number,
`1 == 1.0`, and `true` never equals `1`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any, TypeGuard

from engine.model.dates import parse_date, parse_datetime

_RE_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)


def declared_types(schema: object) -> list[str]:
    """The JSON types a schema's `type` names, `"integer"` and `["integer", "null"]` alike; [] when
    it names none (or ``schema`` is no mapping)."""
    kinds = schema.get("type") if isinstance(schema, dict) else None
    return (
        [kinds]
        if isinstance(kinds, str)
        else [k for k in kinds if isinstance(k, str)]
        if isinstance(kinds, list)
        else []
    )


def is_number(v: object) -> TypeGuard[int | float]:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def is_integer(v: object) -> TypeGuard[int | float]:  # 1.0 is an integer too
    if isinstance(v, bool):
        return False
    return isinstance(v, int) or (isinstance(v, float) and v.is_integer())


def is_date(v: str) -> bool:
    """`format: date`: the one date form of engine.model.dates (YYYY-MM-DD, a real calendar day)."""
    try:
        parse_date(v)
    except ValueError:
        return False
    return True


# --- `format`: the one truth of which formats are asserted, and how --------------------------------
#
# JSON Schema 2020-12 makes `format` an annotation unless a validator opts in; jsonschema's
# FormatChecker opts in only for the formats whose optional packages are installed (without
# rfc3987, fqdn, rfc3339-validator, jsonpointer, isoduration, uri-template, idna a `uri`, a
# `hostname`, a `date-time`... passes any text). policyctl asserts every format of 2020-12's
# format vocabulary itself, with the standard library alone, so a verdict never depends on what is
# installed: these predicates are used by the generated checks (engine.schema.codegen), the input
# checker (engine.decisions.inputs) and jsonschema's path (``format_checker``), for parameters, file
# kinds, decision inputs and bundles alike. A format outside them and ANNOTATION_FORMATS is P009
# (engine.model.build): nothing would check it. Each predicate takes a `str`; a value of another
# type is not the format's business (the callers pass only texts).

_URI_UNRESERVED = r"A-Za-z0-9\-._~"
_URI_SUB_DELIMS = r"!$&'()*+,;="
_URI_PCT = r"%[0-9A-Fa-f]{2}"
# IRIs (RFC 3987) allow `ucschar` where URIs allow unreserved characters, and `iprivate` in a query:
# every character from U+00A0 on but the surrogates and the non-characters U+FDD0-FDEF, U+xFFFE/F
# (the latter refused in the predicate, as a regex class for them would be long).
_UCS = "\u00a0-\ud7ff\ue000-\ufdcf\ufdf0-\U0010ffff"


def _uri_pattern(iri: bool, reference: bool) -> str:
    """RFC 3986's `URI` (`URI-reference` when ``reference``), or RFC 3987's `IRI` (`IRI-reference`),
    as one regex; an IP literal's address is checked by ``ipaddress`` afterwards."""
    plain = _URI_UNRESERVED + _URI_SUB_DELIMS + (_UCS if iri else "")
    pchar = rf"(?:[{plain}:@]|{_URI_PCT})"
    userinfo = rf"(?:[{plain}:]|{_URI_PCT})*"
    host = rf"(?:\[(?:[0-9A-Fa-f:.]+|[vV][0-9A-Fa-f]+\.[{_URI_UNRESERVED}{_URI_SUB_DELIMS}:]+)\]|(?:[{plain}]|{_URI_PCT})*)"
    authority = rf"(?:{userinfo}@)?{host}(?::[0-9]*)?"
    abempty = rf"(?:/{pchar}*)*"
    rootless = rf"{pchar}+{abempty}"
    hier = rf"(?://{authority}{abempty}|/(?:{rootless})?|{rootless}|)"
    query = rf"(?:\?(?:{pchar}|[/?{_UCS if iri else ''}])*)?"
    fragment = rf"(?:#(?:{pchar}|[/?])*)?"
    scheme = r"[A-Za-z][A-Za-z0-9+\-.]*"
    absolute = rf"{scheme}:{hier}"
    if reference:  # a relative reference's first segment has no `:` (else it would read as a scheme)
        nocolon = rf"(?:[{plain}@]|{_URI_PCT})+"
        relative = rf"(?://{authority}{abempty}|/(?:{rootless})?|{nocolon}{abempty}|)"
        return rf"(?:{absolute}|{relative}){query}{fragment}"
    return rf"{absolute}{query}{fragment}"


# an authority's IP literal (the patterns above allow its characters; ``ipaddress`` says whether
# they make an IPv6 address)
_IP_LITERAL = re.compile(r"(?:[A-Za-z][A-Za-z0-9+\-.]*:)?//(?:[^/?#@\[]*@)?\[([^\]]*)\]")


def _lazily(text: str) -> Callable[[], re.Pattern[str]]:
    """The regex of ``text``, compiled on first use: the URI and IRI patterns cost ~20 ms each to
    compile (their classes of Unicode ranges), which a process that checks no such format (a
    bundle's `decide`) must not pay at import."""
    return cache(lambda: re.compile(text))


def _uri_check(pattern: Callable[[], re.Pattern[str]]) -> Callable[[str], bool]:
    def check(v: str) -> bool:
        if pattern().fullmatch(v) is None:
            return False
        bracketed = _IP_LITERAL.match(v)
        if bracketed is not None and bracketed.group(1)[:1] not in "vV" and not _is_ipv6_text(bracketed.group(1)):
            return False
        return not any((ord(c) & 0xFFFF) >= 0xFFFE for c in v if ord(c) > 0xFFFD)

    return check


def _is_ipv4_text(v: str) -> bool:
    import ipaddress

    try:
        ipaddress.IPv4Address(v)
    except ValueError:
        return False
    return v.isascii()


def _is_ipv6_text(v: str) -> bool:
    import ipaddress

    try:
        address = ipaddress.IPv6Address(v)
    except ValueError:
        return False
    return v.isascii() and not address.scope_id  # (a zone, `%eth0`, is no part of RFC 4291's text)


_HOST_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?", re.ASCII)


def _is_hostname(v: str) -> bool:
    """RFC 1123: dot-separated labels of letters, digits and `-` (not first or last), each at most
    63 characters, at most 253 in all."""
    return 0 < len(v) <= 253 and all(_HOST_LABEL.fullmatch(label) for label in v.split("."))


def _is_idn_hostname(v: str) -> bool:
    """RFC 5890: a host name whose labels may be Unicode, each as IDNA writes it in ASCII (Python's
    own `idna` codec, IDNA 2003: the standard library has no IDNA 2008) a valid host name label."""
    if not v or len(v) > 253:
        return False
    for label in v.replace("\u3002", ".").replace("\uff0e", ".").replace("\uff61", ".").split("."):
        if label.isascii():
            if not _HOST_LABEL.fullmatch(label):
                return False
            continue
        try:
            ascii_label = label.encode("idna").decode("ascii")
        except UnicodeError:
            return False
        if not _HOST_LABEL.fullmatch(ascii_label):
            return False
    return True


# RFC 5321's mailbox, as far as a text can be checked: a local part (a dot-atom, or a quoted string)
# `@` a domain (a host name, or an address literal in brackets); `idn-email` (RFC 6531) allows
# Unicode in both.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-]+"
_LOCAL = rf"(?:{_ATOM}(?:\.{_ATOM})*|\"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\[\x20-\x7e])*\")"
_UATOM = rf"[A-Za-z0-9!#$%&'*+/=?^_`{{|}}~\-{_UCS}]+"
_ULOCAL = rf"(?:{_UATOM}(?:\.{_UATOM})*|\"(?:[\x20\x21\x23-\x5b\x5d-\x7e{_UCS}]|\\[\x20-\x7e])*\")"
_EMAIL = _lazily(rf"(?P<local>{_LOCAL})@(?P<domain>[^@]+)")
_IDN_EMAIL = _lazily(rf"(?P<local>{_ULOCAL})@(?P<domain>[^@]+)")


def _email_check(pattern: Callable[[], re.Pattern[str]], host: Callable[[str], bool]) -> Callable[[str], bool]:
    def check(v: str) -> bool:
        found = pattern().fullmatch(v)
        if found is None or len(found.group("local")) > 64:
            return False
        domain = found.group("domain")
        if domain.startswith("[") and domain.endswith("]"):
            inner = domain[1:-1]
            return _is_ipv6_text(inner[5:]) if inner[:5].lower() == "ipv6:" else _is_ipv4_text(inner)
        return host(domain)

    return check


_TIME = _lazily(r"([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])")
# RFC 3339 appendix A's `duration`: P, then years/months/days (each a prefix of the next) and a
# time of hours/minutes/seconds likewise, or weeks alone.
_DURATION = _lazily(
    r"P(?:(?:[0-9]+Y(?:[0-9]+M(?:[0-9]+D)?)?|[0-9]+M(?:[0-9]+D)?|[0-9]+D)"
    r"(?:T(?:[0-9]+H(?:[0-9]+M(?:[0-9]+S)?)?|[0-9]+M(?:[0-9]+S)?|[0-9]+S))?"
    r"|T(?:[0-9]+H(?:[0-9]+M(?:[0-9]+S)?)?|[0-9]+M(?:[0-9]+S)?|[0-9]+S)|[0-9]+W)"
)
_UUID = _lazily(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")
_JSON_POINTER = _lazily(r"(?:/(?:[^~/]|~[01])*)*")
_RELATIVE_JSON_POINTER = _lazily(r"(?:0|[1-9][0-9]*)(?:#|(?:/(?:[^~/]|~[01])*)*)")
# RFC 6570 (level 4): literals, and expressions `{` an optional operator, variables with an optional
# `:` prefix length or `*` explode, `,`-separated `}`.
_VARCHAR = r"(?:[A-Za-z0-9_]|%[0-9A-Fa-f]{2})"
_VARSPEC = rf"{_VARCHAR}(?:\.?{_VARCHAR})*(?::[1-9][0-9]{{0,3}}|\*)?"
_URI_TEMPLATE = _lazily(
    rf"(?:[^\x00-\x20\"'%<>\\^`{{|}}\x7f]|%[0-9A-Fa-f]{{2}}|\{{[+#./;?&=,!@|]?{_VARSPEC}(?:,{_VARSPEC})*\}})*"
)


def _is_regex(v: str) -> bool:
    """A regular expression Python's `re` compiles (as `pattern` is applied: JSON Schema names
    ECMA-262's, which no standard library reads)."""
    try:
        re.compile(v)
    except (re.error, RecursionError, OverflowError, ValueError):
        return False
    return True


def _is_date_time(v: str) -> bool:
    """`format: date-time`: the forms of engine.model.dates (RFC 3339 with an offset, and its
    documented leniencies)."""
    try:
        parse_datetime(v)
    except ValueError:
        return False
    return True


def _full(pattern: Callable[[], re.Pattern[str]]) -> Callable[[str], bool]:
    return lambda v: pattern().fullmatch(v) is not None


FORMAT_CHECKS: dict[str, Callable[[str], bool]] = {
    "date": is_date,
    "date-time": _is_date_time,
    "time": _full(_TIME),
    "duration": _full(_DURATION),
    "email": _email_check(_EMAIL, _is_hostname),
    "idn-email": _email_check(_IDN_EMAIL, _is_idn_hostname),
    "hostname": _is_hostname,
    "idn-hostname": _is_idn_hostname,
    "ipv4": _is_ipv4_text,
    "ipv6": _is_ipv6_text,
    "uri": _uri_check(_lazily(_uri_pattern(iri=False, reference=False))),
    "uri-reference": _uri_check(_lazily(_uri_pattern(iri=False, reference=True))),
    "iri": _uri_check(_lazily(_uri_pattern(iri=True, reference=False))),
    "iri-reference": _uri_check(_lazily(_uri_pattern(iri=True, reference=True))),
    "uri-template": _full(_URI_TEMPLATE),
    "uuid": _full(_UUID),
    "json-pointer": _full(_JSON_POINTER),
    "relative-json-pointer": _full(_RELATIVE_JSON_POINTER),
    "regex": _is_regex,
}
"""Every format policyctl asserts (JSON Schema 2020-12's whole format vocabulary), by name."""


def format_checker(overrides: dict[str, Callable[[str], bool]] | None = None) -> Any:
    """A jsonschema FormatChecker that asserts exactly FORMAT_CHECKS (``overrides`` replacing some
    with equivalent, faster ones), none of jsonschema's own: its set depends on optional packages."""
    from jsonschema import FormatChecker

    checker = FormatChecker(formats=())
    for name, check in {**FORMAT_CHECKS, **(overrides or {})}.items():
        checker.checks(name)(lambda value, check=check: not isinstance(value, str) or check(value))
    return checker


# policyctl's own formats (engine.model.policy.SHOWN_FORMATS but `date` and `date-time`): how pages
# show a value. jsonschema has no checker for them (its FormatChecker passes any value of a format it
# has no checker for, and none of its drafts defines these names), so to it they are annotations, and
# the generated checks treat them so too (a test holds this set to SHOWN_FORMATS and to jsonschema).
ANNOTATION_FORMATS = frozenset(
    (
        "money",
        "percent",
        *(f"duration-{unit}" for unit in ("second", "minute", "hour", "day", "week", "month", "year")),
    )
)


class _Bool:
    """Stands for a bool inside comparisons, so `true` never equals `1` (as in jsonschema)."""

    __slots__ = ("value",)

    def __init__(self, value: bool) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Bool) and other.value == self.value

    def __hash__(self) -> int:
        return hash(("bool", self.value))


def equal(a: object, b: object) -> bool:
    """JSON equality: booleans are not numbers, 1 == 1.0, containers compared deeply."""
    if a is b:
        return True
    if isinstance(a, str) or isinstance(b, str):
        return bool(a == b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, dict)) or isinstance(b, (list, dict)):
        return False
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return bool(a == b)


def in_options(v: object, options: tuple[object, ...]) -> bool:
    return any(equal(v, o) for o in options)


def unique(items: Sequence[object]) -> bool:
    if all(type(i) is str for i in items):
        return len(set(items)) == len(items)
    return all(not equal(items[i], items[j]) for i in range(len(items)) for j in range(i + 1, len(items)))


def is_string(v: object) -> bool:
    return isinstance(v, str)


def is_boolean(v: object) -> bool:
    return isinstance(v, bool)


def is_null(v: object) -> bool:
    return v is None


def is_object(v: object) -> bool:
    return isinstance(v, dict)


def is_array(v: object) -> bool:
    return isinstance(v, (list, tuple))


JSON_TYPES: dict[str, Callable[[object], bool]] = {
    "string": is_string,
    "boolean": is_boolean,
    "null": is_null,
    "number": is_number,
    "integer": is_integer,
    "object": is_object,
    "array": is_array,
}
