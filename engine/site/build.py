"""The site build (being split by stage: see engine/site/assemble.py for now)."""

from __future__ import annotations

import os  # noqa: F401 - tests patch os functions through this module

from engine.site.assemble import *  # noqa: F403
from engine.site.assemble import _rel, _workers  # noqa: F401
