"""policyctl's command line, run from a clone without installing: `python cli.py ARGS`.

The command line itself is engine/cli.py (installed as the `policyctl` script and runnable as
`python -m engine`); this file only calls it, through engine/start.py, which answers the one
start-up-bound form (`decide --bundle`) without importing click.
"""

if __name__ == "__main__":
    from engine.start import run

    run()
else:
    from engine.cli import main as main  # re-exported: `cli.main` is the click app, for tests and tools
    from engine.cli import run as run
