"""The population built from NHS open data files is exactly what the files say.

Fixtures in tests/fixtures/nhs are made-up practices in the published formats: two header
generations, 'ND' values, a closed practice, a practice missing from the workforce file, one
missing from the practices register, and PCN memberships that change over time.
"""
from __future__ import annotations

import csv
import shutil
import subprocess
import sys

import numpy as np
import pytest

from sim.model.model import GPModel
from sim.population.build import build
from sim.population.nhs_files import (
    DataFiles,
    assemble,
    latlon_to_grid,
    normalise,
    parse_date,
)
from sim.population.places import gp_heads
from sim.results.run import run
from sim.scenario.errors import InputError
from sim.scenario.loading import load, validate
from sim.scenario.schema import month_number

from .conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "nhs"
SCENARIO = FIXTURES / "scenario.yaml"
CLOSED, NO_WORKFORCE, NOT_IN_REGISTER = "A00036", "A00035", "A00034"
OLDER_HEADERS = [f"population.{key}={FIXTURES / name}" for key, name in (  # paths given with --set are as typed
    ("registrations", "gp-reg-pat-prac-all-ccg.csv"), ("registrations_map", "gp-reg-pat-prac-map-ccg.csv"),
    ("workforce", "workforce-older.csv"), ("pcn_membership", "pcn-core-partner-details-ccg.csv"))]


def rows(name: str) -> list[dict]:
    """A fixture file's rows, read with the csv module alone, headers whitespace-normalised."""
    with open(FIXTURES / name, newline="", encoding="utf-8") as handle:
        return [{" ".join(k.split()): v for k, v in row.items()} for row in csv.DictReader(handle)]


def number(text: str) -> float:
    return float("nan") if text == "ND" else float(text)


REGISTERED = {r["CODE"]: r for r in rows("gp-reg-pat-prac-all.csv")}
WORKFORCE = {r["PRAC_CODE"]: r for r in rows("workforce.csv")}
ICB = {r["PRACTICE_CODE"]: r["ICB_CODE"] for r in rows("gp-reg-pat-prac-map.csv")}
EXPECTED = sorted(set(REGISTERED) - {CLOSED})


def population(overrides=(), seed: int = 0):
    scenario = load(SCENARIO, list(overrides))
    return scenario, build(scenario, np.random.default_rng(seed))


@pytest.fixture(scope="module")
def built():
    return population()


def slot(code: str) -> int:
    return EXPECTED.index(code)


def test_practices_and_lists_are_the_files_totals(built):
    scenario, state = built
    assert state.size == len(EXPECTED) == 35
    expected = np.array([float(REGISTERED[code]["NUMBER_OF_PATIENTS"]) for code in EXPECTED])
    assert np.array_equal(state.list_size, expected)
    assert state.list_size.sum() == sum(float(r["NUMBER_OF_PATIENTS"]) for r in REGISTERED.values()) \
        - float(REGISTERED[CLOSED]["NUMBER_OF_PATIENTS"])
    assert state.open.all() and CLOSED not in EXPECTED and NOT_IN_REGISTER in EXPECTED


def test_areas_and_regions_follow_the_commissioner_codes(built):
    _, state = built
    for codes, labels in (([REGISTERED[c]["SUB_ICB_LOCATION_CODE"] for c in EXPECTED], state.area),
                          ([ICB[c] for c in EXPECTED], state.region)):
        pairs = set(zip(codes, labels.tolist()))
        assert len(pairs) == len(set(codes)) == len(set(labels.tolist()))  # one index per code, one code per index
    assert len(set(state.area.tolist())) == 3 and len(set(state.region.tolist())) == 2


def test_disclosed_workforce_is_taken_as_it_is(built):
    _, state = built
    checked = 0
    for code in EXPECTED:
        row = WORKFORCE.get(code)
        if row is None or "ND" in row.values():
            continue
        i = slot(code)
        assert state.partners[i] == int(row["TOTAL_GP_SEN_PTNR_HC"]) + int(row["TOTAL_GP_PTNR_PROV_HC"])
        assert state.salaried[i] == int(row["TOTAL_GP_SAL_BY_PRAC_HC"]) + int(row["TOTAL_GP_SAL_BY_OTH_HC"])
        assert state.nurse_fte[i] == float(row["TOTAL_NURSES_FTE"])
        assert state.direct_care_fte[i] == float(row["TOTAL_DPC_FTE"])
        assert state.admin_fte[i] == float(row["TOTAL_ADMIN_FTE"])
        checked += 1
    assert checked == 30


def test_not_disclosed_and_missing_workforce_are_filled_from_the_ratios(built):
    scenario, state = built
    work = scenario.workforce

    def ratio_fill(code, per_1000):
        return float(REGISTERED[code]["NUMBER_OF_PATIENTS"]) * per_1000 / 1000

    assert state.nurse_fte[slot("A00010")] == pytest.approx(ratio_fill("A00010", work.nurse_fte_per_1000))
    assert state.admin_fte[slot("A00005")] == pytest.approx(ratio_fill("A00005", work.admin_fte_per_1000))
    assert state.direct_care_fte[slot("A00030")] == pytest.approx(ratio_fill("A00030", work.direct_care_fte_per_1000))
    # partner count not disclosed: partners and salaried from the practice's own GP FTE
    partners, salaried = gp_heads(np.array([float(WORKFORCE["A00020"]["TOTAL_GP_EXTGL_FTE"])]), work.partner_share, work,
                                  month_number(scenario.start))
    assert (state.partners[slot("A00020")], state.salaried[slot("A00020")]) == (partners[0], salaried[0])
    # GP FTE and partners not disclosed, and a practice missing from the file: everything from the ratios
    for code in ("A00030", NO_WORKFORCE):
        fte = np.array([ratio_fill(code, work.gp_fte_per_1000)])
        partners, salaried = gp_heads(fte, work.partner_share, work, month_number(scenario.start))
        assert (state.partners[slot(code)], state.salaried[slot(code)]) == (partners[0], salaried[0])
    i = slot(NO_WORKFORCE)
    assert state.nurse_fte[i] == pytest.approx(ratio_fill(NO_WORKFORCE, work.nurse_fte_per_1000))
    assert state.admin_fte[i] == pytest.approx(ratio_fill(NO_WORKFORCE, work.admin_fte_per_1000))


def test_every_field_is_populated(built):
    _, state = built
    n = state.size
    for name in ("x_km", "y_km", "deprivation", "need_weight", "funding_weight", "reserves", "continuity", "independence", "trust",
                 "isolation_km", "nurse_fte", "direct_care_fte", "admin_fte"):
        values = getattr(state, name)
        assert values.shape == (n,) and np.isfinite(values).all(), name
    assert state.neighbours.shape == (n, 8) and (state.neighbours != np.arange(n)[:, None]).all()
    assert 0 < state.rural.sum() < n and ((state.deprivation >= 0) & (state.deprivation <= 1)).all()
    # lat/long projected onto the National Grid (km): around Manchester and North Yorkshire
    assert (350 < state.x_km).all() and (state.x_km < 480).all() and (380 < state.y_km).all() and (state.y_km < 500).all()


def test_both_header_generations_give_the_same_population(built):
    _, state = built
    _, older = population(OLDER_HEADERS)
    for name in ("list_size", "area", "region", "partners", "salaried", "nurse_fte", "direct_care_fte", "admin_fte",
                 "x_km", "rural", "deprivation", "reserves", "continuity"):
        assert np.array_equal(getattr(state, name), getattr(older, name)), name
    assert np.array_equal(state.starting_networks["pcn"], older.starting_networks["pcn"])


def test_pcn_memberships_at_the_start_become_the_networks():
    scenario = load(SCENARIO)
    model = GPModel(scenario)
    expected: dict[str, set] = {}
    for row in rows("pcn-core-partner-details.csv"):
        start = parse_date(row["Practice to PCN Relationship Start Date"])
        end = parse_date(row["Practice to PCN Relationship End Date"])
        if start <= 20230401 and (end == 0 or end >= 20230401) and row["Partner Organisation Code"] in EXPECTED:
            expected.setdefault(row["PCN Code"], set()).add(row["Partner Organisation Code"])
    kind = model.kinds.index("pcn")
    found: dict[int, set] = {}
    for i, network in enumerate(model.practices.membership[kind]):
        if network >= 0:
            found.setdefault(int(network), set()).add(EXPECTED[i])
    assert sorted(map(sorted, found.values())) == sorted(map(sorted, expected.values()))
    assert len(found) == 5 and "A00013" in expected["U00003"] and "A00033" not in set().union(*expected.values())
    assert (model.networks.view("members") == [len(found[slot]) for slot in range(model.networks.count)]).all()


def test_pcns_from_the_file_are_as_old_as_their_earliest_membership(tmp_path):
    model = GPModel(load(SCENARIO))
    kind = model.kinds.index("pcn")
    pcns = model.networks.view("kind") == kind
    # Every PCN in the file began on 1 July 2019: 45 months before the April 2023 start.
    assert (model.networks.view("formed")[pcns] == -45).all()
    # A PCN whose members all joined in April 2021 is 24 months old at the start.
    data = tmp_path / "data"
    shutil.copytree(FIXTURES, data)
    path = data / "pcn-core-partner-details.csv"
    text = path.read_text(encoding="utf-8").splitlines()
    text = [line.replace("U00004,PCN U00004,2019-07-01", "U00004,PCN U00004,2021-04-01") for line in text]
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    moved = GPModel(load(data / "scenario.yaml"))
    network = moved.practices.membership[kind][slot("A00023")]
    assert moved.networks.formed[network] == -24
    others = (moved.networks.view("kind") == kind) & (np.arange(moved.networks.count) != network)
    assert (moved.networks.view("formed")[others] == -45).all()


def test_region_keeps_only_that_icbs_practices():
    _, state = population(["population.region=QBB"])
    wanted = [code for code in EXPECTED if ICB[code] == "QBB"]
    assert state.size == len(wanted) == 13
    assert np.array_equal(state.list_size, [float(REGISTERED[c]["NUMBER_OF_PATIENTS"]) for c in wanted])
    _, sub = population(["population.region=[01A, 01B]"])
    assert sub.size == len([c for c in EXPECTED if REGISTERED[c]["SUB_ICB_LOCATION_CODE"] in ("01A", "01B")])
    with pytest.raises(InputError, match=r"gp-reg-pat-prac-map.csv: population.region: expected ICB or sub-ICB codes .*found 'QZZ'"):
        population(["population.region=QZZ"])


def test_without_coordinates_practices_are_placed_within_their_area():
    scenario, state = population(["population.coordinates=null"])
    result = assemble(DataFiles.of(scenario.population), scenario.start)
    assert any("placed synthetically" in text for text in result.synthetic)
    assert np.isfinite(state.x_km).all() and state.size == 35
    assert np.array_equal(state.list_size, population()[1].list_size)


def test_a_model_runs_twelve_months_from_the_files():
    results = run(SCENARIO)
    frame = results.timeseries
    assert len(frame) == 12 and list(frame["month"][[0, 11]]) == ["2023-04", "2024-03"]
    assert frame["practices"].iloc[0] == 35
    assert frame["network_coverage_practices"].iloc[0] == pytest.approx(32 / 35)


def test_latitude_and_longitude_project_onto_the_national_grid():
    # Ordnance Survey's worked example (on the Airy ellipsoid): 52 39 27.2531 N, 1 43 4.5177 E
    easting, northing = latlon_to_grid(np.array([52 + 39 / 60 + 27.2531 / 3600]), np.array([1 + 43 / 60 + 4.5177 / 3600]))
    assert easting[0] == pytest.approx(651409.903, abs=0.01) and northing[0] == pytest.approx(313177.270, abs=0.01)


def test_headers_and_dates_are_read_leniently():
    assert normalise("Practice to PCN\n Relationship  Start Date") == "PRACTICE TO PCN RELATIONSHIP START DATE"
    assert parse_date("2019-07-01") == parse_date("01/07/2019") == parse_date("20190701") == parse_date("01JUL2019") == 20190701
    assert parse_date("") == 0 and parse_date("31/02/2019") is None and parse_date("soon") is None


# -- bad input ------------------------------------------------------------------------------------
@pytest.fixture
def files(tmp_path):
    """A writable copy of the fixture files and a DataFiles naming them."""
    for path in FIXTURES.iterdir():
        shutil.copy(path, tmp_path / path.name)
    return tmp_path, DataFiles(registrations=tmp_path / "gp-reg-pat-prac-all.csv", workforce=tmp_path / "workforce.csv",
                               pcn_membership=tmp_path / "pcn-core-partner-details.csv",
                               practices_file=tmp_path / "epraccur.csv")


def edit(path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, count), encoding="utf-8")


@pytest.mark.parametrize("change, message", [
    (("gp-reg-pat-prac-all.csv", "NUMBER_OF_PATIENTS", "PATIENTS"),
     r"gp-reg-pat-prac-all.csv: NUMBER_OF_PATIENTS: expected a column named NUMBER_OF_PATIENTS; found columns PUBLICATION"),
    (("gp-reg-pat-prac-all.csv", ",14492", ',"14,492x"'),
     r"gp-reg-pat-prac-all.csv: NUMBER_OF_PATIENTS: expected a non-negative number on line 2; found '14,492x'"),
    (("gp-reg-pat-prac-all.csv", ",14492", ",14,492"),
     r"gp-reg-pat-prac-all.csv: expected a registered patients CSV file with 10 cells on each line as in its header; found 11 on line 2, more \(an unquoted comma\?\)"),
    (("gp-reg-pat-prac-all.csv", ",14189", ",14,189"),
     r"gp-reg-pat-prac-all.csv: expected a registered patients CSV file with 10 cells on each line as in its header; found 11 on line 3"),
    (("gp-reg-pat-prac-all.csv", ",14492", ",-3"),
     r"gp-reg-pat-prac-all.csv: NUMBER_OF_PATIENTS: expected a non-negative number on line 2; found '-3'"),
    (("gp-reg-pat-prac-all.csv", "A00002,", "A00001,"),
     r"gp-reg-pat-prac-all.csv: CODE: expected each practice code once; found 'A00001' on lines 2 and 3"),
    (("workforce.csv", "A00002,", "A00001,"),
     r"workforce.csv: PRAC_CODE: expected each practice code once; found 'A00001' on lines 2 and 3"),
    (("workforce.csv", "TOTAL_ADMIN_FTE", "ADMIN_STAFF"),
     r"workforce.csv: TOTAL_ADMIN_FTE: expected a column named TOTAL_ADMIN_FTE or ADMIN_FTE; found columns"),
    (("workforce.csv", ",4.94,", ",four,"),
     r"workforce.csv: TOTAL_NURSES_FTE: expected a non-negative number on line 2; found 'four'"),
    (("epraccur.csv", "A00002,", "A00001,"),
     r"epraccur.csv: column 1 \(organisation code\): expected each practice code once; found 'A00001' on lines 1 and 2"),
    (("pcn-core-partner-details.csv", "2019-07-01", "July 2019"),
     r"pcn-core-partner-details.csv: PRACTICE TO PCN RELATIONSHIP START DATE: expected a date .* on line 2; found 'July 2019'"),
    (("pcn-core-partner-details.csv", "2020-03-31", ""),
     r"pcn-core-partner-details.csv: PARTNER ORGANISATION CODE: expected one PCN membership per practice in force on 20230401; found 'A00013'"),
])
def test_bad_files_name_the_file_the_column_and_what_was_found(files, change, message):
    folder, data = files
    name, old, new = change
    edit(folder / name, old, new)
    with pytest.raises(InputError, match=message):
        assemble(data, "2023-04")


def test_a_missing_file_is_named(files):
    folder, data = files
    (folder / "workforce.csv").unlink()
    with pytest.raises(InputError, match=r"workforce.csv: expected an existing workforce file; found nothing there"):
        assemble(data, "2023-04")


def test_the_scenario_must_name_the_files_and_a_known_kind():
    with pytest.raises(InputError, match=r"test: population: expected the file paths workforce, pcn_membership, practices_file"):
        validate({"population": {"source": "nhs_files", "registrations": "x.csv"}}, "test")
    with pytest.raises(InputError, match=r"population.network_kind: expected one of the organisations \(pcn\); found 'federation'"):
        population(["population.network_kind=federation"])
    assert len(set(population(["population.commissioner_areas=2"])[1].area)) == 3  # areas come from the files
    scenario = load(SCENARIO)
    assert scenario.population.practices_file == str(FIXTURES / "epraccur.csv")  # relative to the scenario file


# -- gpsim data check -----------------------------------------------------------------------------
def gpsim(*args):
    return subprocess.run([sys.executable, "-m", "sim", *map(str, args)], capture_output=True, text=True, cwd=ROOT)


def test_data_check_reports_what_the_files_give():
    names = ["gp-reg-pat-prac-all.csv", "gp-reg-pat-prac-map.csv", "workforce.csv", "pcn-core-partner-details.csv",
             "epraccur.csv"]
    done = gpsim("data", "check", *(FIXTURES / name for name in names), "--start", "2023-04")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    patients = sum(float(REGISTERED[c]["NUMBER_OF_PATIENTS"]) for c in EXPECTED)
    assert f"in the population: 35 practices, {patients:,.0f} patients, 3 sub-ICB locations, 2 ICBs" in out
    assert "practices with a workforce row: 34 of 35 (97.1%)" in out
    assert f"not open at 2023-04 in the practices file: 1 ({CLOSED})" in out
    assert f"not in the workforce file (staff from ratios): 1 ({NO_WORKFORCE})" in out
    assert f"not in the practices file (kept): 1 ({NOT_IN_REGISTER})" in out
    assert "practices in a PCN at 2023-04: 32 of 35 (91.4%), in 5 PCNs" in out
    assert "nurse_fte: 2 practice(s) not disclosed or missing, filled with nurse_fte_per_1000 x list size" in out
    assert "locations: no coordinates file; practices are placed synthetically" in out
    assert "deprivation: not in these files" in out
    same = gpsim("data", "check", SCENARIO)
    assert same.returncode == 0 and "in the population: 35 practices" in same.stdout
    region = gpsim("data", "check", SCENARIO, "--region", "QBB")
    assert region.returncode == 0 and "in the population: 13 practices" in region.stdout


def test_data_check_exit_codes(tmp_path):
    incomplete = gpsim("data", "check", FIXTURES / "workforce.csv")
    assert incomplete.returncode == 1 and "Cannot build a population without: registrations, practices (epraccur)" in incomplete.stdout
    missing = gpsim("data", "check", tmp_path / "nothing.csv")
    assert missing.returncode == 2 and missing.stdout == ""
    assert missing.stderr.strip().count("\n") == 0 and "nothing.csv: expected an existing data file" in missing.stderr
    bad = tmp_path / "workforce.csv"
    bad.write_text((FIXTURES / "workforce.csv").read_text().replace(",4.94,", ",lots,"), encoding="utf-8")
    broken = gpsim("data", "check", FIXTURES / "gp-reg-pat-prac-all.csv", FIXTURES / "epraccur.csv", bad)
    assert broken.returncode == 2
    assert broken.stderr.strip() == f"gpsim: error: {bad}: TOTAL_NURSES_FTE: expected a non-negative number on line 2; found 'lots'"
