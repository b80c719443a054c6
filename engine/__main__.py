"""`python -m engine ARGS` runs policyctl's command line (engine/cli.py)."""

from engine.cli import run

run()
