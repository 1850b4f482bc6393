"""The starting PracticeState from the practices the files give: sites, rurality, commissioner
areas and regions, staff (read, else from the scenario's ratios) and starting networks."""
from __future__ import annotations

import numpy as np

from sim.population.nhs_files.assembly import Assembly, DataFiles, assemble
from sim.population.places import (
    area_centres,
    deprivation_and_need,
    gp_heads,
    neighbours,
    place,
    practice_state,
    reserves,
    towns,
)
from sim.scenario.errors import InputError
from sim.scenario.schema import month_number


def _sites(result: Assembly, pop, rng: np.random.Generator, area: np.ndarray, region: np.ndarray) -> np.ndarray:
    table = result.table
    n, areas = len(table), int(area.max()) + 1
    xy = table[["x_km", "y_km"]].to_numpy(dtype=float, copy=True)
    known = ~np.isnan(xy[:, 0])
    if result.files.coordinates is None:
        centres, synthetic_region = area_centres(rng, areas, pop.side_km, max(1, int(region.max()) + 1))
        centres = centres[np.argsort(synthetic_region, kind="stable")]  # areas are numbered ICB by ICB
        return place(rng, pop, centres, towns(rng, pop, centres), area, rng.random(n) < pop.rural_share)
    if not known.all():
        fallback = xy[known].mean(axis=0) if known.any() else np.zeros(2)
        for a in np.unique(area[~known]):
            anchor = xy[known & (area == a)].mean(axis=0) if (known & (area == a)).any() else fallback
            lost = ~known & (area == a)
            xy[lost] = anchor + rng.normal(0.0, pop.urban_spread_km, (int(lost.sum()), 2))
    return xy


def population_from_files(scenario, rng: np.random.Generator):
    """The starting PracticeState built from the files the scenario's population section names.

    Args:
        scenario: the validated scenario (its population section names the files).
        rng: the population's random generator, for everything the files do not give.
    """
    pop, work = scenario.population, scenario.workforce
    if pop.network_kind not in scenario.organisations:
        raise InputError("scenario", "population.network_kind", f"expected one of the organisations "
                                                                f"({', '.join(scenario.organisations) or 'none defined'}); found '{pop.network_kind}'")
    result = assemble(DataFiles.of(pop), scenario.start, pop.region, pop.allow_implausible)
    table = result.table
    if result.practices == 0:
        raise InputError(pop.registrations, "", f"expected open GP practices at {scenario.start}"
                                                f"{' in region ' + ', '.join(pop.region) if pop.region else ''}; found none")
    icb_codes = sorted(set(table["icb"]))
    area_icb = table.groupby("area")["icb"].agg(lambda s: s.mode().iloc[0])
    area_codes = sorted(area_icb.index, key=lambda code: (area_icb[code], code))
    area = table["area"].map({code: i for i, code in enumerate(area_codes)}).to_numpy(dtype=np.int32, copy=True)
    region = table["icb"].map({code: i for i, code in enumerate(icb_codes)}).to_numpy(dtype=np.int32, copy=True)
    xy = _sites(result, pop, rng, area, region)
    n = len(table)
    _, isolation_km = neighbours(xy, 3, pop.side_km)
    rural = np.zeros(n, dtype=bool)
    rural[np.argsort(-isolation_km, kind="stable")[: int(round(pop.rural_share * n))]] = True
    deprivation, need_weight, funding_weight = deprivation_and_need(rng, pop, len(area_codes), area, rural)

    list_size = table["patients"].to_numpy(dtype=float, copy=True)
    gp_fte = np.where(table["gp_fte"].notna(), table["gp_fte"], list_size * work.gp_fte_per_1000 / 1000)
    partners_fte, salaried_fte = gp_heads(gp_fte, work.partner_share, work, month_number(scenario.start))
    split = (table["partners"].notna() & table["salaried"].notna()).to_numpy()
    partners = np.where(split, table["partners"].fillna(0).round(), partners_fte).astype(np.int64)
    salaried = np.where(split, table["salaried"].fillna(0).round(), salaried_fte).astype(np.int64)

    def staff(name: str, per_1000: float) -> np.ndarray:
        return np.where(table[name].notna(), table[name], list_size * per_1000 / 1000).astype(float)

    nurse = staff("nurse_fte", work.nurse_fte_per_1000)
    direct_care = staff("direct_care_fte", work.direct_care_fte_per_1000)
    admin = staff("admin_fte", work.admin_fte_per_1000)
    pcn_codes = sorted(set(table["network"]) - {""})
    labels = table["network"].map({code: i for i, code in enumerate(pcn_codes)}).fillna(-1).to_numpy(dtype=np.int64, copy=True)
    return practice_state(
        rng, scenario, xy, area=area, region=region, rural=rural, deprivation=deprivation, need_weight=need_weight,
        funding_weight=funding_weight,
        list_size=list_size, partners=partners, salaried=salaried, nurse_fte=nurse, direct_care_fte=direct_care,
        admin_fte=admin, reserves=reserves(rng, scenario, list_size, partners, salaried, nurse, direct_care, admin),
        starting_networks={pop.network_kind: labels},
        starting_network_months={pop.network_kind: _months_a_member(table, scenario.start)},
    )


def _months_a_member(table, start: str) -> np.ndarray:
    """Months each practice had been in its PCN at the start, from the membership's start date
    (YYYYMMDD) in the PCN file; -1 where not known."""
    if "network_start" not in table:
        return np.full(len(table), -1, dtype=np.int64)
    joined = table["network_start"].to_numpy(dtype=np.int64)
    months = month_number(start) - ((joined // 10000) * 12 + (joined // 100) % 100 - 1)
    return np.where((joined > 0) & (table["network"] != "").to_numpy(), np.maximum(months, 0), -1)


