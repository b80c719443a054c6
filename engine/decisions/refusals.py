"""What a refused input gets wrong: the D004 messages and hints of engine.decisions.inputs.

The words are engine.schema.words' (`said`), the same S001 and P003 say a policy file's value
with: what was expected and what came, each value as JSON (`"x"`, `null`, `true`), never as Python
writes it, never in jsonschema's own words. What is here is only about inputs: a message that
carries its hint, and the verb an input's hint asks for (an input is sent, a file's value written).
"""

from __future__ import annotations

# the hint of an input's refusal asks to send a value, and a `oneOf` is the decision's
VERB = "send"
OWNER = "the decision's"


class Refusal(str):
    """A D004 message (a JSON pointer, a colon, what is wrong) with the hint that goes with it
    (``hint``: empty for the caller's own). A str, so every caller that reads messages as text
    (the tables' columns, the places in a JSON text) reads it unchanged."""

    hint: str

    def __new__(cls, text: str, hint: str = "") -> Refusal:
        made = super().__new__(cls, text)
        made.hint = hint
        return made


def hint_of(message: str, default: str) -> str:
    """The hint of a D004 message: its own (a ``Refusal``'s), else ``default``."""
    return getattr(message, "hint", "") or default
