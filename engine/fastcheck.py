"""Fast path for schema checks: answer "valid" without importing jsonschema.

jsonschema costs ~100 ms to import and ~1 ms per document; pre-commit hooks mostly see valid
files. A validator compiled ahead of time answers the common case; only a document it rejects
is handed to jsonschema, which explains the failure with positions. Until compiled validators
exist for a kind, every document goes to jsonschema (correct, just slower).
"""

from __future__ import annotations

from typing import Any


def is_valid(kind: str, data: Any) -> bool:
    return False
