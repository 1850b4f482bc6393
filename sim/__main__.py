"""python -m sim: the same as the gpsim command."""
import sys

try:
    from sim.app.cli import main
except KeyboardInterrupt:  # Ctrl-C while still importing: nothing has run or been written
    sys.exit(130)

sys.exit(main())
