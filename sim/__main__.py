"""python -m sim: the same as the gpsim command."""
import sys

from .cli import main

sys.exit(main())
