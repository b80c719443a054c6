"""What is refused, with what to do instead: one ``Refusal`` for an input's D004 messages
(engine.decisions.inputs) and an expression's E003 comparisons of date-times
(engine.decisions.datetimes), and the words of an input's hint.

The words of D004 are engine.schema.words' (`said`), the same S001 and P003 say a policy file's
value with: what was expected and what came, each value as JSON (`"x"`, `null`, `true`), never as
Python writes it, never in jsonschema's own words. An input's hint asks for a value to be sent
(``VERB``), where a file's asks for one to be written.
"""

from __future__ import annotations

# the hint of an input's refusal asks to send a value, and a `oneOf` is the decision's
VERB = "send"
OWNER = "the decision's"


class Refusal(str):
    """A message that says what is refused, with the hint that goes with it (``hint``: empty for
    the caller's own): a D004 message (a JSON pointer, a colon, what is wrong) or an E003 one (a
    comparison of date-times). A str, so every caller that reads D004 messages as text (the tables'
    columns, the places in a JSON text) reads it unchanged."""

    hint: str

    def __new__(cls, text: str, hint: str = "") -> Refusal:
        made = super().__new__(cls, text)
        made.hint = hint
        return made


def hint_of(message: str, default: str) -> str:
    """The hint of a D004 message: its own (a ``Refusal``'s), else ``default``."""
    return getattr(message, "hint", "") or default
