"""Real data in: the starting population built from NHS open data files.

Headers vary by year; each reader maps the accepted aliases to one name, compares headers with
their whitespace collapsed, line breaks included, and case ignored, and reads "ND" (not
disclosed) or a blank as missing (cells.py). One module per file kind says which columns it reads:
registrations.py (registered patients and its mapping file), workforce.py, pcn_memberships.py
(ePCN core partner details), epraccur.py (the ODS practice register) and coordinates.py.
assembly.py puts them together into the practices open at the start, population.py makes the
starting PracticeState from them, and check.py is `gpsim data check`.
"""
from sim.population.nhs_files.assembly import Assembly, DataFiles, assemble
from sim.population.nhs_files.cells import (
    month_start,
    normalise,
    parse_date,
    read_table,
)
from sim.population.nhs_files.check import identify, report
from sim.population.nhs_files.coordinates import latlon_to_grid, read_coordinates
from sim.population.nhs_files.epraccur import read_epraccur
from sim.population.nhs_files.pcn_memberships import read_pcn_memberships
from sim.population.nhs_files.population import population_from_files
from sim.population.nhs_files.registrations import (
    read_registrations,
    read_registrations_map,
)
from sim.population.nhs_files.workforce import read_workforce

__all__ = [
    "Assembly", "DataFiles", "assemble", "identify", "latlon_to_grid", "month_start", "normalise", "parse_date",
    "population_from_files", "read_coordinates", "read_epraccur", "read_pcn_memberships", "read_registrations",
    "read_registrations_map", "read_table", "read_workforce", "report",
]
