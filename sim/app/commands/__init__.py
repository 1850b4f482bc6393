"""One module per gpsim command, each with register(subparsers) adding its parser and handler.

A handler takes the parsed arguments and returns the exit status; it raises InputError for bad
input (the CLI turns it into one line on stderr and exit status 2).
"""
