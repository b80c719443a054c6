"""Pages that cannot carry active content, whatever the layout template says.

The HTML layout is a template from the repository, untrusted like every other: autoescaping keeps
policy text out of markup, but the layout itself could write `<script>`, `onload=` or a
`javascript:` link. Every HTML page is therefore read back with html.parser after rendering and
refused (G001 at the layout) when it holds a script, an event handler, an embedded object or frame,
a `javascript:`/`data:`/`vbscript:` URL, or a resource from elsewhere (`http:`, `//host`); then it
gets a strict Content-Security-Policy: nothing is allowed but the page's own inline style sheets,
each named by its SHA-256 digest, computed here at build time.

html.parser is not a browser: it ends a comment only at `-->` (a browser also at `<!-->`, `<!--->`
and `--!>`), reads `<![CDATA[...]]>` as one section (a browser: a comment ending at the first `>`)
and ends a style sheet only at `</style>` (a browser also at `</style x>`). Each of these hid a
`<script>` from it that a browser ran, so a page may hold none of them: no comment, CDATA section,
processing instruction or declaration but the doctype, no `</style` inside a style sheet. And the
policy is put before anything the two could read differently (``_with``).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from collections.abc import Callable
from html import unescape
from html.parser import HTMLParser

_ACTIVE_TAGS = frozenset(
    "script iframe frame frameset object embed applet base form portal noscript svg math template".split()
)
_PASSIVE_LINKS = frozenset(("alternate", "canonical", "license", "help", "author", "next", "prev"))
_URL_ATTRIBUTES = frozenset(
    "href src action formaction data poster background cite srcset xlink:href ping manifest codebase longdesc".split()
)
_SEARCH_META = "data-pagefind-meta"
_BAD_SCHEME = re.compile(r"^\s*(?:javascript|vbscript|data|file|blob):", re.I)
# What a browser drops from a URL before reading its scheme (the URL Standard): every ASCII tab and
# newline, and C0 controls and spaces at either end (`java&#9;script:`, `&#1;javascript:`)
_URL_DROPPED = re.compile(r"[\t\n\r]")
_URL_ENDS = "".join(map(chr, range(0x21)))
# What makes a style sheet load something: `url(`, `image-set("...")` and its kin, `@import "..."`;
# and any CSS escape, which spells these without their letters (`u\72l(`, `@\69mport`)
_CSS_LOADS = re.compile(r"\\|(?:url|src|image|image-set|expression)\s*\(|@import", re.I)
# Markup whose end html.parser and browsers disagree about (module docstring): everything that opens
# with `<!` or `<?` but the doctype
_DECLARATION = re.compile(r"<(?:!(?!doctype[ \t\n\r\f]+html[ \t\n\r\f]*>)|\?)", re.I)
_STYLE_END = re.compile(r"</style", re.I)
# a resource that would be fetched from elsewhere; links (`<a href>`) may point anywhere http(s)
_FETCHED = frozenset("src srcset poster background data codebase manifest".split())
_REMOTE = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:|//|\\\\)", re.I)


def _inspect(tag: str, attrs: list[tuple[str, str | None]], found: list[str]) -> None:
    """What one start tag (its name and attributes as html.parser gives them) would run or load."""
    if tag in _ACTIVE_TAGS:
        found.append(f"a `<{tag}>` element")
    if tag == "link" and not set((dict(attrs).get("rel") or "").lower().split()) <= _PASSIVE_LINKS:
        found.append(f"a `<link rel={dict(attrs).get('rel')}>` (it loads something)")
    if tag == "meta" and any(k == "http-equiv" and (v or "").lower() == "refresh" for k, v in attrs):
        found.append("a `<meta http-equiv=refresh>`")
    if tag == "meta" and any(k == "charset" and (v or "").strip().lower() != "utf-8" for k, v in attrs):
        # (the page is written in UTF-8; read in another encoding, a browser would see other markup)
        found.append("a `<meta charset>` other than utf-8")
    for name, value in attrs:
        if name.startswith("on"):
            found.append(f"an event handler `{name}`")
        elif name == "style" and value and _CSS_LOADS.search(value):
            found.append("a style attribute that loads a resource")
        elif (name in _URL_ATTRIBUTES or name == _SEARCH_META) and value:
            # each URL of a `srcset` ("a.png 1x, b.png 2x"), as a browser reads it; the `url:` and
            # `image:` of Pagefind's metadata ("url:/x, image:/y.png"), which its search UI links to
            urls = (
                value.split(",")
                if name == "srcset"
                else [v for k, _, v in (p.partition(":") for p in value.split(",")) if k.strip() in ("url", "image")]
                if name == _SEARCH_META
                else (value,)
            )
            for url in urls:
                url = _URL_DROPPED.sub("", url).strip(_URL_ENDS)
                if _BAD_SCHEME.match(url):
                    found.append(f"a `{url.split(':')[0].strip().lower()}:` URL in `{name}`")
                elif (name in _FETCHED or name == _SEARCH_META) and _REMOTE.match(url):
                    found.append(f"a resource from elsewhere in `{name}`")


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.where: list[tuple[int, int]] = []  # (line, column) of each finding, 1-based
        self.styles: list[str] = []
        self._in_style = False

    def feed(self, data: str) -> None:
        """Read ``data`` (all of a page: positions count from its start), first for the markup
        html.parser does not read as a browser does (``_DECLARATION``)."""
        for m in _DECLARATION.finditer(data):
            self.found.append(
                "a comment, CDATA section or processing instruction (`<!`, `<?`): browsers and"
                " html.parser disagree where it ends"
            )
            line = data.count("\n", 0, m.start()) + 1
            self.where.append((line, m.start() - data.rfind("\n", 0, m.start())))
        super().feed(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        before = len(self.found)
        self._tag(tag, attrs)
        self._located(before)

    def _located(self, before: int) -> None:
        line, offset = self.getpos()
        self.where += [(line, offset + 1)] * (len(self.found) - before)

    def _tag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        _inspect(tag, attrs, self.found)
        self._in_style = tag == "style"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self._in_style = False

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)
            if _CSS_LOADS.search(data):
                self.found.append("a style sheet that loads a resource (`url(...)`, `@import`, a CSS escape)")
                self._located(len(self.found) - 1)
            if _STYLE_END.search(data):  # html.parser reads on to `</style>`; a browser ends the sheet here
                self.found.append("`</style` inside a style sheet")
                self._located(len(self.found) - 1)


def _read(html: str) -> _Reader:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader


def active_content(html: str) -> list[str]:
    """What in ``html`` would run, load or send something; empty for a passive page."""
    return _read(html).found


# Jinja's tags, expressions and comments in a template's source (default delimiters)
_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)


def in_template(source: str) -> list[tuple[int, int, str]]:
    """(line, column, what) for the active content written literally in an HTML template's source,
    Jinja's own parts blanked out (positions kept). What Jinja computes is not seen here: every
    rendered page is still read back by ``active_content``; this says it at the line, in `validate`."""
    blank = _JINJA.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), source)
    reader = _Reader()
    reader.feed(blank)
    reader.close()
    return [(line, col, what) for (line, col), what in zip(reader.where, reader.found)]


def style_hashes(html: str) -> list[str]:
    """`'sha256-...'` of each inline `<style>` element's text, as a CSP names them."""
    return _hashes(_read(html))


def _hashes(reader: _Reader) -> list[str]:
    return [_digest(s) for s in reader.styles]


@functools.lru_cache(maxsize=64)  # a site's pages share a few style sheets
def _digest(style: str) -> str:
    return f"'sha256-{base64.b64encode(hashlib.sha256(style.encode('utf-8')).digest()).decode()}'"


def checked(html: str) -> tuple[list[str], str]:
    """What in ``html`` is active (as `active_content`) and, when nothing is, ``html`` with its
    policy (as `with_policy`): one parse of the page for both (a parse is most of the cost).

    A page in plain well-formed HTML (what the layouts and markdown-it write) is read by `_plain`,
    ~10x faster than html.parser; anything else, and any page `_plain` finds something in, is read
    by html.parser, so what is refused, and why, is html.parser's word."""
    styles = _plain(html)
    if styles is not None:
        return [], _with(html, [_digest(s) for s in styles])
    reader = _read(html)
    return reader.found, ("" if reader.found else _with(html, _hashes(reader)))


# The plain subset of HTML that `_plain` reads: every `<` opens a tag that ends at the next `>`,
# with ASCII names, ASCII white space and quoted attribute values, or the HTML doctype; elements
# whose content is text (`<style>`, `<title>`) are closed in lower case right after their text,
# which holds no `<` (and a style sheet no `&`). On it html.parser (3.10-3.13) reports the same start tags, attributes and style sheet
# texts (tests/test_output_safety.py compares the two on pages and on near misses).
_WS = "[ \t\n\r\f]"
_TAG = re.compile(r"<[^<>]*>")
_PLAIN_TAG = re.compile(
    rf"<(?:([a-zA-Z][a-zA-Z0-9]*)((?:{_WS}+[a-zA-Z_:][-a-zA-Z0-9_:.]*(?:{_WS}*={_WS}*(?:\"[^\"]*\"|'[^']*'))?)*)"
    rf"{_WS}*(/?)>|/[a-zA-Z][a-zA-Z0-9]*>|!doctype{_WS}+html{_WS}*>)",
    re.I,
)
_PLAIN_ATTR = re.compile(rf"{_WS}+([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:{_WS}*={_WS}*(?:\"([^\"]*)\"|'([^']*)'))?")
# elements whose content html.parser reads as text, now or in some version (raw and escapable raw text)
_TEXT_ELEMENTS = frozenset("script style title textarea xmp iframe noembed noframes noscript plaintext".split())
# Tags already found plain and passive, and not opening a text element (a site repeats most of its
# tags on every page). Bounded: cleared when full.
_PASSIVE: set[str] = set()
_PASSIVE_MAX = 100_000


def _plain(html: str) -> list[str] | None:
    """The inline style sheets' texts of a page that is passive and plain (see `_PLAIN_TAG`), or None."""
    tags = list(_TAG.finditer(html))
    if len(tags) != html.count("<"):  # a `<` that does not open a tag: not plain
        return None
    styles: list[str] = []
    passive = _PASSIVE
    text_of = ""  # the text element whose text comes next
    for i, m in enumerate(tags):
        tag = m.group()
        if text_of:  # html[previous end : this start] is the element's text, and this must close it
            if tag != f"</{text_of}>":
                return None
            text = html[tags[i - 1].end() : m.start()]
            if text_of == "style" and text:  # (html.parser reads a style sheet raw: no `&` references)
                if not _plain_sheet(text):
                    return None
                styles.append(text)
            text_of = ""
            continue
        if tag in passive:
            continue
        kind = _kind(tag)
        if kind is None:
            return None
        if kind:
            text_of = kind
        else:
            if len(passive) >= _PASSIVE_MAX:
                passive.clear()
            passive.add(tag)
    return None if text_of else styles


@functools.lru_cache(maxsize=64)  # a site's pages share a few style sheets (as `_digest`)
def _plain_sheet(text: str) -> bool:
    """A style sheet `_plain` may read: no `&` (html.parser reads it raw) and nothing it loads.
    Kept by its text: searching the layout's sheet, the same on every page, was ~0.5 ms a page,
    ~10 % of an in-process build of the starter."""
    return "&" not in text and _CSS_LOADS.search(text) is None


def _kind(tag: str) -> str | None:
    """For one plain tag: "" when it is passive, the element's name when it opens a text element;
    None when it is not plain or not passive."""
    m = _PLAIN_TAG.fullmatch(tag)
    if m is None:
        return None
    name = m.group(1)
    if name is None:  # an end tag or the doctype
        return ""
    name = name.lower()
    attrs: list[tuple[str, str | None]] = []
    for a in _PLAIN_ATTR.finditer(m.group(2)):
        value = a.group(2) if a.group(2) is not None else a.group(3)
        attrs.append((a.group(1).lower(), unescape(value) if value else value))
    found: list[str] = []
    _inspect(name, attrs, found)
    if found or (name in _TEXT_ELEMENTS and m.group(3)):
        return None
    return name if name in _TEXT_ELEMENTS else ""


def policy(html: str) -> str:
    return _policy(style_hashes(html))


def _policy(hashes: list[str]) -> str:
    styles = " ".join(dict.fromkeys(hashes)) or "'none'"
    # (`frame-ancestors` has no effect in a <meta> policy, so it is not written)
    return f"default-src 'none'; style-src {styles}; img-src 'self'; base-uri 'none'; form-action 'none'"


# The tags a page may open with, ahead of its policy: the doctype, `<html>` with quoted attributes,
# `<head>` and `<meta charset="utf-8">`, in plain form. Nothing in them can hide markup from
# html.parser or from a browser, and a `<meta>` after them is in the head (a browser opens it).
_OPENING = re.compile(
    rf"(?:{_WS}*(?:<!doctype{_WS}+html{_WS}*>|<html(?:{_WS}+[a-zA-Z-]+=\"[^\"<>]*\")*{_WS}*>|<head{_WS}*>"
    rf"|<meta{_WS}+charset=(?:\"utf-8\"|utf-8){_WS}*/?>))*",
    re.I,
)


def with_policy(html: str) -> str:
    """``html`` with a `<meta http-equiv="Content-Security-Policy">` right after its opening tags."""
    return _with(html, style_hashes(html))


def _with(html: str, hashes: list[str]) -> str:
    """The policy goes right after the page's opening tags (``_OPENING``: as the layouts write them,
    after `<meta charset>`), before anything else: a `<meta charset>` found further on (in a
    `<title>`, an attribute, a style sheet) would have put it where a browser reads it as text,
    and the page would have had no policy at all; and a browser applies a policy only to what
    follows it."""
    tag = f'<meta http-equiv="Content-Security-Policy" content="{_policy(hashes)}">'
    opening = _OPENING.match(html)  # (it may match nothing, so it always matches)
    end = opening.end() if opening else 0
    if end == 0:
        return tag + "\n" + html
    return html[:end] + "\n" + tag + html[end:]


# What a browser runs in a file of the output folder that policyctl did not write (a file a pull
# request commits there, which `build` leaves alone): scripts and WebAssembly whatever they hold
# (the search pages may load scripts from the site itself), and documents that can hold scripts
# (HTML, SVG, XML) unless they hold nothing active. By name extension, without the dot.
_CODE_TYPES = frozenset("js mjs cjs jsm wasm swf xsl xslt svgz".split())
_HTML_TYPES = frozenset("html htm xhtml xht mht mhtml".split())
_XML_TYPES = frozenset("svg xml atom rss rdf xsd mathml mml".split())
# Types a web server knows and a browser never takes for a page or a script: such a file is not
# read (an output folder may hold many images, and a build checks its files each time). Any other
# extension is sniffed as a file without one: a server that does not know it may send no type
# (Apache), and a browser then goes by the first bytes.
_PASSIVE_TYPES = frozenset(
    "png apng jpg jpeg jfif pjpeg pjp gif webp avif bmp ico cur tif tiff jxl heic heif"
    " woff woff2 ttf otf eot"
    " txt css csv tsv json pdf"
    " mp3 mp4 m4a m4v webm ogg oga ogv opus wav flac mov aac"
    " zip gz tgz bz2 xz zst br 7z tar".split()
)
# Code a web server set up for it runs as a program, on the server, whatever it holds: PHP, CGI
# and the scripts CGI handlers are commonly mapped to, ASP and ASP.NET, JSP, ColdFusion, and
# server-side includes (`<!--#exec cmd=...-->` in `.shtml`). Refused in any extension of the
# name, not only the last: Apache's `AddHandler` applies to each (`report.php.png` runs as PHP).
_SERVER_CODE_TYPES = frozenset(
    "php php3 php4 php5 php7 php8 phps phtml pht phar"
    " cgi fcgi pl py rb"
    " asp aspx ascx ashx asmx asa cshtml vbhtml"
    " jsp jspx jsf cfm cfml cfc"
    " shtml shtm stm".split()
)
# Files a web server or a static host reads as its own configuration from the folder it serves:
# each can make a passive file run (a type or a handler for `.txt`), change or drop the headers
# the pages are served with, or serve another site's content on the site's origin. (nginx, Caddy,
# GitHub Pages read none from the content; GitHub Pages' Jekyll is another matter, SECURITY.md.)
SERVER_CONFIGURATION = {
    ".htaccess": "Apache's configuration of its folder (`AddType`, `AddHandler`, `SetHandler`, `Header`"
    " can make any file there run or be served as a page)",
    ".user.ini": "PHP's configuration of its folder (`auto_prepend_file` runs any file as PHP)",
    "_headers": "the headers Netlify and Cloudflare Pages serve files with (a `Content-Type` can make any"
    " file a page, and the pages' own headers can be dropped)",
    "_redirects": "Netlify's and Cloudflare Pages' redirects and rewrites (a rewrite serves content from"
    " elsewhere on the site's own origin)",
    "netlify.toml": "Netlify's configuration (headers, redirects, and a build command it runs)",
    "vercel.json": "Vercel's configuration (headers, redirects and rewrites of the files deployed)",
    "web.config": "IIS's and Azure App Service's configuration of its folder (handlers and types can make"
    " any file run or be served as a page)",
}
_READ_AT_MOST = 16 * 1024 * 1024
# An SVG or XML file is passive when it is plain: after its XML declaration, a doctype without
# internal subset and comments, no markup that runs, loads, links or hides characters (an entity
# or character reference other than the five XML names, which can spell `javascript:`)
_XML_PROLOGUE = re.compile(
    r"\A\ufeff?\s*(?:<\?xml\s[^<>?]*\?>\s*)?(?:<!--(?:(?!--).)*-->\s*|<!doctype\s[^<>\[\]]*>\s*)*", re.I | re.S
)
_XML_COMMENT = re.compile(r"<!--(?:(?!--).)*-->", re.S)
# The body of a plain XML document is start and end tags with quoted attributes, and text: every
# `<` opens one of them (a CDATA section, a processing instruction, a declaration, anything else is
# refused unread: a stylesheet instruction makes a browser run XSLT, which writes HTML)
_XML_TAG = re.compile(r"<(/?)([^\s/<>=\"'!?]+)((?:\s+[^\s/<>=\"']+\s*=\s*(?:\"[^\"<]*\"|'[^'<]*'))*)\s*/?>")
_XML_ATTRIBUTE = re.compile(r"\s+([^\s/<>=\"']+)\s*=\s*(?:\"([^\"<]*)\"|'([^'<]*)')")
# (at most the digits of U+10FFFF: a longer one, `&#` and 5,000 digits, is an unknown entity, not a
# number Python refuses to read)
_XML_REFERENCE = re.compile(r"&(?:#([0-9]{1,7})|#x([0-9a-fA-F]{1,6})|(amp|lt|gt|quot|apos));")
_XML_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
# elements that run, embed or hold HTML (by local name, in any case: `<x:script>`, `<foreignObject>`)
_XML_ACTIVE_ELEMENTS = frozenset(
    "script foreignobject handler listener iframe frame frameset embed object applet base form portal".split()
)
_XML_ANIMATIONS = frozenset("animate set animatemotion animatetransform animatecolor".split())
_XML_ANIMATED = frozenset("values to from by".split())  # what an animation gives the attribute it animates
_XML_URLS = frozenset("href src action formaction data codebase background poster ping".split())
_XML_LINKS = frozenset(("a", "link"))  # elements whose `href` is followed when clicked, never loaded
_XHTML = "http://www.w3.org/1999/xhtml"
# CSS that loads something, in a style sheet, a `style` or a presentation attribute (`fill="url(...)"`):
# as `_CSS_LOADS`, but a reference to a part of the document itself (`url(#gradient)`) loads nothing
_XML_CSS_LOADS = re.compile(r"\\|(?:url|src|image|image-set|expression)\s*\((?!\s*[\"']?#)|@import", re.I)


def _xml_decoded(value: str) -> str | None:
    """``value`` with its character references and XML's five entities replaced, as an XML parser
    reads it; None when it holds another entity (only a DTD could say what it spells)."""
    if "&" not in value:
        return value
    if "&" in _XML_REFERENCE.sub("", value):
        return None

    def one(m: re.Match[str]) -> str:
        if m.group(3):
            return _XML_NAMED[m.group(3)]
        code = int(m.group(1)) if m.group(1) else int(m.group(2), 16)
        return chr(code) if code <= 0x10FFFF else "\ufffd"

    return _XML_REFERENCE.sub(one, value)


def _xml_attribute(element: str, name: str, raw: str) -> str | None:
    """What the attribute ``name`` (value ``raw``, as written) of ``element`` (a local name, lower
    case) would run or load in an XML document, or None."""
    local = name.rsplit(":", 1)[-1].lower()
    value = _xml_decoded(raw)
    if local.startswith("on"):
        return f"an event handler `{name}`"
    if value is None:
        return f"an entity reference other than XML's own in `{name}` (it can spell a `javascript:` URL)"
    if name.lower() == "xml:base":
        return "an `xml:base` (it changes where every link of the document leads)"
    if _XHTML in value:
        return "the XHTML namespace (HTML, which may run scripts, inside the document)"
    animated = value.rsplit(":", 1)[-1].strip().lower()
    if element in _XML_ANIMATIONS and local == "attributename" and (animated == "href" or animated.startswith("on")):
        return f"an animation of `{value.strip()}` (it can make a link or a handler run a script)"
    urls = value.split(";") if element in _XML_ANIMATIONS and local in _XML_ANIMATED else [value]
    if local in _XML_URLS or len(urls) > 1 or element in _XML_ANIMATIONS:
        for url in urls:
            url = _URL_DROPPED.sub("", url).strip(_URL_ENDS)
            if _BAD_SCHEME.match(url):
                return f"a `{url.split(':')[0].strip().lower()}:` URL in `{name}`"
            if local in _XML_URLS and (element not in _XML_LINKS or local == "ping") and _REMOTE.match(url):
                return f"a resource from elsewhere in `{name}`"
        if local in _XML_URLS:
            return None
    if _XML_CSS_LOADS.search(value):
        return f"a style that loads a resource (`url(...)`, `@import`, a CSS escape) in `{name}`"
    return None


def _xml_active(body: str) -> tuple[int, str] | None:
    """(offset, what) of the first thing in ``body`` (an XML document after its prologue, comments
    blanked out) that would run or load something, or None when it is passive: a plain link
    (`<a href="https://...">`) is passive; a script, an event handler, a `javascript:` or `data:`
    URL (however spelt: `JaVaScRiPt:`, `&#106;avascript:`, ` java&#9;script:`), HTML inside,
    an animation of a link's target or a resource from elsewhere is not."""
    at, sheet = 0, -1  # sheet: where the text of the style sheet being read starts
    passive: set[str] = set()  # tags already read and found passive (a drawing repeats most of its tags)
    while (i := body.find("<", at)) >= 0:
        tag = _XML_TAG.match(body, i)
        if tag is None:
            return i, "markup that is not plain XML (`<!`, `<?`, or a tag policyctl cannot read)"
        name = tag.group(2)
        local = name.rsplit(":", 1)[-1].lower()
        named = i + 1 + len(tag.group(1)) + (len(name) - len(name.rsplit(":", 1)[-1]))
        at = tag.end()
        if sheet >= 0:  # (its text is all that may come before its end tag: a child's text would join it)
            if not tag.group(1) or local != "style":
                return named, f"a `<{tag.group(1)}{name}>` inside a style sheet"
            if _sheet_loads(body[sheet:i]):
                return sheet, "a style sheet that loads a resource (`url(...)`, `@import`, a CSS escape)"
            sheet = -1
            continue
        if tag.group(1) or tag.group(0) in passive:
            continue
        if local in _XML_ACTIVE_ELEMENTS:
            return named, f"a `<{name}>` element"
        for a in _XML_ATTRIBUTE.finditer(tag.group(3)):
            what = _xml_attribute(local, a.group(1), a.group(2) if a.group(2) is not None else a.group(3))
            if what is not None:
                return tag.start(3) + a.start(1), what
        if local == "style" and not tag.group(0).endswith("/>"):
            sheet = at
        elif len(passive) < 10_000:
            passive.add(tag.group(0))
    if sheet >= 0 and _sheet_loads(body[sheet:]):
        return sheet, "a style sheet that loads a resource (`url(...)`, `@import`, a CSS escape)"
    return None


def _sheet_loads(text: str) -> bool:
    """A style sheet's text (comments blanked out) loads something: read as CSS reads it, after the
    XML parser replaced its references and dropped its comments (`@im<!-- -->port` is `@import`)."""
    sheet = _xml_decoded(text)
    return sheet is None or _XML_CSS_LOADS.search(re.sub(r"\s+", "", sheet)) is not None


def runnable(rel: str, read: Callable[[int], bytes | None]) -> tuple[int, int, str] | None:
    """(line, column, what) when a browser or a web server would run something in the file ``rel``
    of the output folder (``read(n)``: at most ``n`` of its bytes, None when it cannot be read, a
    link); None when it is passive. A web server's configuration and code it runs are refused by
    their names, unread; only a document that may hold markup is read whole (an output folder may
    hold many images, and a build checks its files each time); of a file whose name gives no type
    a server surely knows (no extension, or one not in ``_PASSIVE_TYPES``...), its first bytes,
    which say what a browser or a web server takes it for (``_sniffed``)."""
    name = rel.rsplit("/", 1)[-1].lower()
    if name in SERVER_CONFIGURATION:
        return 1, 1, SERVER_CONFIGURATION[name]
    extensions = name.split(".")[1:]  # (as Apache reads a name: every part after the first dot)
    code = next((e for e in extensions if e in _SERVER_CODE_TYPES), None)
    if code is not None:
        return 1, 1, f"a `.{code}` file, code a web server set up for it runs as a program, whatever it holds"
    known = [e for e in extensions if e in _KNOWN_TYPES]
    last = extensions[-1] if extensions else ""
    if last in _KNOWN_TYPES:
        return _typed(last, read)
    # A name without a type a server surely knows: served as what its first bytes say, or (Apache)
    # as the last extension it knows says (`page.html.v2` is a page, whatever its first bytes).
    if known and known[-1] not in _PASSIVE_TYPES:
        found = _typed(known[-1], read)
        if found is not None:
            return found[0], found[1], f"{found[2]}, in a file Apache serves as `.{known[-1]}` (it knows no `.{last}`)"
    unnamed = (
        "a file without a name extension" if last == "" else f"a file whose name extension `.{last}` gives no type"
    )
    kind = _sniffed(read(_SNIFFED), unnamed)
    if not isinstance(kind, str):
        return kind
    found = _document(kind, read(_READ_AT_MOST + 1))
    if found is None:
        return None
    line, col, what = found
    return line, col, f"{what}, in {unnamed} that begins as markup (a browser may take it for a page)"


_KNOWN_TYPES = _CODE_TYPES | _HTML_TYPES | _XML_TYPES | _PASSIVE_TYPES


def _typed(extension: str, read: Callable[[int], bytes | None]) -> tuple[int, int, str] | None:
    """What runs in a file of a type a server knows by its ``extension``."""
    if extension in _CODE_TYPES:
        return 1, 1, "a script or other code a browser runs"
    if extension in _HTML_TYPES:
        return _document("html", read(_READ_AT_MOST + 1))
    if extension in _XML_TYPES:
        return _document("xml", read(_READ_AT_MOST + 1))
    return None


# A file without a name extension is served for what its first bytes say (a browser sniffs a
# resource without a type, or with a generic one, from its first 1,445 bytes, the MIME Sniffing
# Standard's resource header; some web servers ask libmagic, or run a `#!` script as a program):
# markup is read as a page (HTML, or XML when it opens as XML or SVG), a `#!` script and WebAssembly
# are refused as code, and anything else (text such as a CNAME file, an image) is passive.
_SNIFFED = 1445
_SNIFFED_SPACE = b"\t\n\x0c\r "
_SNIFFED_XML = re.compile(rb"<(?:\?xml|svg|!doctype[\t\n\x0c\r ]+svg)", re.I)


def _sniffed(head: bytes | None, unnamed: str) -> str | tuple[int, int, str] | None:
    """What the first bytes of a file whose name gives no type (``unnamed`` says how; ``head``
    None: it cannot be read) make it: "html" or "xml" for a document to read whole, (line,
    column, what) for code, None for passive."""
    if head is None:
        return 1, 1, f"{unnamed}, which a browser may take for a page, and policyctl cannot read"
    if head.startswith(b"#!"):
        return 1, 1, "a script to run as a program (`#!`), which a web server may run"
    if head.startswith(b"\0asm"):
        return 1, 1, "WebAssembly (by its first bytes), which a browser runs"
    opening = head.removeprefix(b"\xef\xbb\xbf").lstrip(_SNIFFED_SPACE)
    if not opening.startswith(b"<"):
        return None
    return "xml" if _SNIFFED_XML.match(opening) else "html"


def _document(kind: str, data: bytes | None) -> tuple[int, int, str] | None:
    """(line, column, what) for the active content of an HTML or XML (``kind``) document of others
    (``data``: at most one byte over the limit), None when it is passive."""
    if data is None or len(data) > _READ_AT_MOST:
        return 1, 1, "a document a browser may run, which policyctl cannot read to check"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return 1, 1, "a document a browser may run, not in UTF-8 (read in another encoding, it is other markup)"
    if kind == "html":
        reader = _read(text)
        if reader.found:
            (line, col), what = reader.where[0] if reader.where else (1, 1), reader.found[0]
            return line, col, what
        return None
    start = _XML_PROLOGUE.match(text)
    offset = start.end() if start else 0
    blanked = _XML_COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text[offset:])
    found = _xml_active(blanked)
    if found is None:
        return None
    at = offset + found[0]
    return text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at), f"{found[1]} in an SVG or XML document"
