"""`gpsim dashboard` runs this: it starts building the first session's run (see warm.py) and
then solara's server, which loads the page only at the first request."""
import sys

import sim.app.dashboard.warm  # noqa: F401  (first: it starts the build before solara loads)

if __name__ == "__main__":
    from solara.__main__ import cli

    cli(sys.argv[1:])
