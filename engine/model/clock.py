"""The one "today", and the keys that carry a marketplace's time into a decision.

"Today" is always a marketplace's local date (its IANA `time_zone`), in every command and API call
unless the caller gives a date; without a marketplace (a question about no one marketplace), UTC,
never the host's clock, so two machines agree. Light on purpose (no YAML, no Jinja2): bundles and
services import it.
"""

from __future__ import annotations

import datetime as _dt

# Keys of the decision context that travel in the params mapping beside the parameters. They are
# not parameter ids (those match `^[a-z]...`), so no expression can name them: only the runtime's
# time and `param_on` helpers read them (engine.decisions.runtime).
ZONE_KEY = "@zone"
LINES_KEY = "@lines"


def today(time_zone: str | None = None) -> str:
    """Today's date in ``time_zone`` (an IANA name), else in UTC."""
    from zoneinfo import ZoneInfo

    return _dt.datetime.now(ZoneInfo(time_zone or "UTC")).date().isoformat()
