"""The bundle file: JSON lines, each section's digest in a manifest, the manifest's in a seal.

    line 1   {"bundle": "policyctl", "format": 3, "manifest": {...}}   what the bundle holds
    line 2   {"sha256": <of line 1>, "hmac-sha256": <of line 1> | null} the seal
    line 3.. one section per line, in the order the manifest lists them with their sha256

Each line is compact JSON, written from values built in a fixed order, so the same sources give
the same bytes. Verifying is hashing bytes (no re-encoding): the seal covers the manifest, the
manifest covers every section. Anyone can recompute digests, so they prove integrity (a bundle
damaged or edited by hand is refused), not origin; a bundle signed with a key (HMAC-SHA256,
``POLICYCTL_BUNDLE_KEY``) also proves it was made by someone holding that key.
"""

from __future__ import annotations

import json
import os
from typing import Any

try:  # CPython's own SHA-256 (3.12+, then 3.10-3.11): a process that verifies one bundle and answers
    # one input does not load OpenSSL for it (hashlib's import, ~10 % of such a process)
    from _sha2 import sha256 as _sha256  # type: ignore[import-not-found,unused-ignore]
except ImportError:
    try:
        from _sha256 import sha256 as _sha256  # type: ignore[import-not-found,no-redef,unused-ignore]
    except ImportError:
        from hashlib import sha256 as _sha256  # type: ignore[assignment,unused-ignore]

from engine.problems import PolicyError, Problem

MAGIC = "policyctl"
# 3: what each value rests on (its source, note, assumption: engine.bundle.make's evidence);
# 2: files named from the repository's top (1: as the maker's working folder named them)
FORMAT = 3
KEY_VARIABLE = "POLICYCTL_BUNDLE_KEY"
MAX_BYTES = 256 * 1024 * 1024


def encode(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=True).encode("utf-8")


def sha256(data: bytes) -> str:
    return str(_sha256(data).hexdigest())


def revision(data: bytes) -> str:
    """A bundle's revision: the sha256 of its manifest line, which lists every section's digest (two
    bundles with the same revision answer the same). The service sends it as `Policy-Revision`;
    `policyctl bundle` and `--verify` print it."""
    return sha256(data.split(b"\n", 1)[0])


def key() -> bytes | None:
    value = os.environ.get(KEY_VARIABLE, "")
    return value.encode("utf-8") if value else None


def key_refusal() -> tuple[str, str] | None:
    """(message, hint) when POLICYCTL_BUNDLE_KEY is set but empty, else None. Such a variable is
    refused, not read as unset: a deployment whose secret was not filled in would otherwise make
    unsigned bundles and accept them without a word, which is what setting the key is to prevent."""
    if os.environ.get(KEY_VARIABLE) == "":
        return f"{KEY_VARIABLE} is set but empty", "set it to the signing key, or unset it for unsigned bundles"
    return None


def seal(manifest: dict[str, Any], sections: list[tuple[str, Any]]) -> bytes:
    """The whole file; ``manifest`` gets the sections' digests."""
    lines = [encode(value) for _, value in sections]
    manifest = {**manifest, "sections": [[name, sha256(line)] for (name, _), line in zip(sections, lines)]}
    head = encode({"bundle": MAGIC, "format": FORMAT, "manifest": manifest})
    secret = key()
    import hashlib
    import hmac

    signature = hmac.new(secret, head, hashlib.sha256).hexdigest() if secret else None
    return b"\n".join([head, encode({"sha256": sha256(head), "hmac-sha256": signature}), *lines]) + b"\n"


class Opened:
    """A verified bundle file: its manifest, sections (decoded) and whether its signature was checked."""

    def __init__(self, manifest: dict[str, Any], sections: dict[str, Any], signed: bool, checked: bool) -> None:
        self.manifest, self.sections, self.signed, self.checked = manifest, sections, signed, checked


STDIN = "-"  # the bundle "file" that is standard input (`test --bundle -`, `bundle --verify -`)
STDIN_NAME = "<stdin>"  # what problems call it


def name(path: str) -> str:
    """``path`` as problems name the bundle: `<stdin>` for standard input."""
    return STDIN_NAME if path == STDIN else path


def read_file(path: str) -> bytes:
    """A bundle file's bytes (``-``: standard input's); PolicyError (B001) when it cannot be read or
    is too large to be one."""
    if path == STDIN:
        return _read_stdin()
    try:
        if os.path.getsize(path) > MAX_BYTES:
            raise _refuse(path, "B001", f"larger than {MAX_BYTES // (1024 * 1024)} MB: not a policyctl bundle")
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise PolicyError(
            [
                Problem(
                    path,
                    1,
                    1,
                    "B001",
                    f"cannot read the bundle: {e.strerror or e}",
                    "give the path of a file made by `policyctl bundle`",
                )
            ],
            usage=True,
        ) from None


def _read_stdin() -> bytes:
    import sys

    stream = getattr(sys.stdin, "buffer", None)  # (None: started with standard input closed)
    if stream is None:
        hint = "pipe the bundle in, or give its file"
        closed = Problem(STDIN_NAME, 1, 1, "B001", "cannot read the bundle: standard input is closed", hint)
        raise PolicyError([closed], usage=True)
    data: bytes = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise _refuse(STDIN_NAME, "B001", f"larger than {MAX_BYTES // (1024 * 1024)} MB: not a policyctl bundle")
    return data


def open_file(path: str) -> Opened:
    """Read and verify a bundle; PolicyError (B001-B004) with what is wrong, never a traceback."""
    return verify(name(path), read_file(path))


def verify(path: str, data: bytes) -> Opened:
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    head = _json(path, lines, 0)
    if not (isinstance(head, dict) and head.get("bundle") == MAGIC and isinstance(head.get("manifest"), dict)):
        raise _refuse(path, "B001", "not a policyctl bundle")
    if head.get("format") != FORMAT:
        raise _refuse(
            path,
            "B004",
            f"bundle format {head.get('format')!r}; this policyctl reads format {FORMAT}",
            "make the bundle again with this version of policyctl",
        )
    stamp = _json(path, lines, 1)
    if not isinstance(stamp, dict) or stamp.get("sha256") != sha256(lines[0]):
        raise _refuse(
            path, "B002", "the manifest does not match its digest: the bundle was changed after it was made", line=1
        )
    manifest = head["manifest"]
    signature = stamp.get("hmac-sha256")
    empty = key_refusal()
    if empty is not None:
        raise _refuse(path, "B003", *empty)
    secret = key()
    if secret is not None:
        import hashlib  # only for signed bundles (see the import of _sha256)
        import hmac

        if not isinstance(signature, str):
            raise _refuse(
                path,
                "B003",
                f"the bundle is not signed, and {KEY_VARIABLE} is set: only signed bundles are accepted",
                f"make it with {KEY_VARIABLE} set, or unset {KEY_VARIABLE}",
            )
        if not hmac.compare_digest(signature, hmac.new(secret, lines[0], hashlib.sha256).hexdigest()):
            raise _refuse(
                path,
                "B003",
                "the signature does not match: the bundle was signed with another key, or changed",
                f"make it again with the key in {KEY_VARIABLE}",
                line=2,
            )
    listed = manifest.get("sections")
    if not isinstance(listed, list) or len(listed) != len(lines) - 2:
        raise _refuse(path, "B002", "the bundle has sections its manifest does not list, or lacks some it lists")
    sections: dict[str, Any] = {}
    for number, entry in enumerate(listed, 3):
        name, digest = entry if isinstance(entry, list) and len(entry) == 2 else (None, None)
        if sha256(lines[number - 1]) != digest:
            raise _refuse(
                path,
                "B002",
                f"section `{name}` does not match its digest: the bundle was changed after it was made",
                line=number,
            )
        sections[str(name)] = _json(path, lines, number - 1)
    return Opened(manifest, sections, isinstance(signature, str), secret is not None)


def _json(path: str, lines: list[bytes], index: int) -> Any:
    if index >= len(lines):
        raise _refuse(path, "B001", "not a policyctl bundle (it ends early)")
    try:
        return json.loads(lines[index])
    except (ValueError, RecursionError):
        raise _refuse(
            path,
            "B001" if index == 0 else "B002",
            "not a policyctl bundle"
            if index == 0
            else "a line is not valid JSON: the bundle was changed after it was made",
            line=index + 1,
        ) from None


def _refuse(path: str, code: str, message: str, hint: str = "", line: int = 1) -> PolicyError:
    hint = hint or "make the bundle again with `policyctl bundle`, and deploy it as one file"
    return PolicyError([Problem(path, line, 1, code, message, hint)])
