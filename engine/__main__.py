"""`python -m engine ARGS` runs policyctl's command line (engine/start.py, then engine/cli.py)."""

from engine.start import run

run()
