"""policyctl's command line, run from a clone without installing: `python cli.py ARGS`.

The command line itself is engine/cli.py (installed as the `policyctl` script and runnable as
`python -m engine`); this file only calls it.
"""

from engine.cli import main, run  # noqa: F401 - `cli.main` is the click app, for tests and tools

if __name__ == "__main__":
    run()
