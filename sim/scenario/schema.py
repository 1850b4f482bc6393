"""The scenario schema: every field a scenario YAML may set, with its unit, default and source.

Sources name a row of docs/evidence.md ("evidence: <table> / <figure>") or say "assumption" with the
reason. Money is in GBP at 2019/20 levels (moved by dated uplifts); rates are per year unless the name says monthly.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from sim.scenario.calibrated import calibrated_defaults

_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _as_year_month(value: Any) -> Any:
    if isinstance(value, date):
        return f"{value.year:04d}-{value.month:02d}"
    if isinstance(value, str):
        match = _YEAR_MONTH.match(value.strip())
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise ValueError(f"a month written YYYY-MM, found '{value}'")
        return value.strip()
    raise ValueError(f"a month written YYYY-MM, found {value!r}")


YearMonth = Annotated[str, BeforeValidator(_as_year_month)]


def month_number(year_month: str) -> int:
    """Months since January of year 0, so that differences are month counts."""
    year, month = year_month.split("-")
    return int(year) * 12 + int(month) - 1


def year_month(number: int) -> str:
    """Inverse of month_number: YYYY-MM."""
    return f"{number // 12:04d}-{number % 12 + 1:02d}"


def P(default: Any, unit: str, source: str, description: str, **constraints: Any) -> Any:
    """A documented scenario parameter: meaning, unit, default and source travel together."""
    return Field(default, description=description, json_schema_extra={"unit": unit, "source": source},
                 **constraints)


_CALIBRATED = calibrated_defaults()
PRIORS: dict[str, float] = {}
"""Each calibrated parameter's uncalibrated prior, by key path (filled as the schema is defined)."""


def C(path: str, prior: float, unit: str, reason: str, description: str, **constraints: Any) -> Any:
    """A calibrated parameter: its default comes from sim/data/calibrated.yaml (the prior, with
    its reason, is where the search started)."""
    value = _CALIBRATED.get(path, prior)
    PRIORS[path] = prior
    return P(value, unit, f"calibration: sim/data/calibrated.yaml (prior {prior:g}: {reason})", description, **constraints)


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _as_code_list(value: Any) -> Any:
    if isinstance(value, str):
        return [part for part in re.split(r"[\s,]+", value.strip()) if part]
    return value


class Population(Section):
    """The England the run starts from: synthetic (no download), or built from NHS open data files."""

    source: Literal["synthetic", "nhs_files"] = P("synthetic", "-", "design", "Where practices come from: 'synthetic' builds a synthetic England; 'nhs_files' reads the NHS open data files named below (see docs/data.md).")
    registrations: str | None = P(None, "file path", "NHS Digital: Patients Registered at a GP Practice, gp-reg-pat-prac-all.csv", "Practice list sizes and commissioner (sub-ICB / CCG) codes; relative to the scenario file. Needed when source is nhs_files.")
    registrations_map: str | None = P(None, "file path", "NHS Digital: Patients Registered at a GP Practice, gp-reg-pat-prac-map.csv", "Practice to sub-ICB, ICB and PCN mapping that gives each practice its ICB (region); optional, else the practices file's high level health geography is used.")
    workforce: str | None = P(None, "file path", "NHS Digital: General Practice Workforce, practice-level CSV", "GP, nurse, direct patient care and admin staff per practice; 'ND' (not disclosed) and missing practices are filled from the workforce ratios. Needed when source is nhs_files.")
    pcn_membership: str | None = P(None, "file path", "NHS Digital: ePCN, PCN Core Partner Details saved as CSV", "Practice to PCN relationships with start and end dates; those in force at the start become the starting networks. Needed when source is nhs_files.")
    practices_file: str | None = P(None, "file path", "NHS Digital ODS: epraccur.csv (no header row)", "The register of practices: which are GP practices (prescribing setting 4) open at the start; with source nhs_files it may also be given as `practices: <path>`. Needed when source is nhs_files.")
    coordinates: str | None = P(None, "file path", "user-supplied: practice code with latitude and longitude, or easting and northing", "Practice locations; optional, else practices are placed synthetically within their commissioner area.")
    region: Annotated[list[str], BeforeValidator(_as_code_list)] = P([], "ICB or sub-ICB codes", "scenario", "Keep only practices in these ICBs or sub-ICB locations (codes as in the files); empty keeps all of England.")
    network_kind: str = P("pcn", "organisation kind name", "scenario", "The organisations kind that the PCN memberships in pcn_membership become.", min_length=1)
    allow_implausible: bool = P(False, "yes/no", "scenario", "Run even when the NHS files hold figures outside the plausible ranges of docs/data.md (each is then a warning, recorded in manifest.json); set by gpsim run or compare --allow-implausible.")
    practices: int = P(8044, "practices", "evidence: Practices and patients / practices in England, Apr 2013", "Open GP practices at the start.", gt=0, le=50_000)
    mean_list_size: float = P(6967.0, "patients", "evidence: Practices and patients / mean registered list, Apr 2013", "Mean registered list per practice at the start.", gt=0, le=100_000)
    list_size_sigma_small: float = P(0.77, "log patients", "evidence: Practices and patients / list-size distribution at the start (with list_size_sigma_large, the closest fit to 6.2% under 2,000, 23.1% at 2,000-3,999, about 38% under 5,000 and 1.0% over 20,000 patients)", "Spread of list sizes below the median: log list sizes are normal with this spread below the median and list_size_sigma_large above it.", gt=0, le=3)
    list_size_sigma_large: float = P(0.48, "log patients", "evidence: see list_size_sigma_small (a single lognormal that fits the small practices puts 3% of practices over 20,000 patients, not 1%)", "Spread of list sizes above the median.", gt=0, le=3)
    min_list_size: float = P(600.0, "patients", "assumption: smallest viable contract", "Smallest list drawn at the start.", gt=0, le=1_000_000)
    max_list_size: float = P(60000.0, "patients", "assumption: largest single-site practice", "Largest list drawn at the start.", gt=0, le=1_000_000)
    commissioner_areas: int = P(211, "areas", "assumption: 211 CCGs in 2013", "Commissioner areas (CCG / sub-ICB locations).", gt=0, le=5_000)
    regions: int = P(7, "regions", "assumption: NHS England's seven regions", "Regions the areas are grouped into.", gt=0, le=100)
    side_km: float = P(360.0, "km", "assumption: England is about 130,000 km2", "Side of the square the synthetic country occupies.", gt=10, le=2_000)
    rural_share: float = P(0.18, "share", "assumption: about one practice in five is rural", "Share of practices placed away from their area's towns.", ge=0, le=1)
    urban_spread_km: float = P(5.0, "km", "assumption", "Spread of practices around a town centre.", gt=0, le=100)
    rural_spread_km: float = P(22.0, "km", "assumption", "Spread of rural practices around the area centre.", gt=0, le=200)
    need_weight_deprivation: float = P(0.1, "weight per unit deprivation", "evidence: Money / funding by deprivation (the most deprived fifth of practices gets about 7% less funding per need-adjusted patient than the least, with similar funding per registered patient): need 7.5% higher in the most deprived fifth", "How much deprivation (0-1) raises a practice's need for GP time per patient.", ge=0, le=2)
    funding_weight_deprivation: float = P(0.0, "weight per unit deprivation", "evidence: Money / funding by deprivation (similar funding per registered patient whatever the deprivation; the Carr-Hill formula under-weights it)", "How much deprivation (0-1) raises a practice's contract income per patient (its weighted patients).", ge=0, le=2)
    town_spread_km: float = P(6.0, "km", "assumption: an area's towns lie within about a dozen km of its centre (a CCG spans 20-40 km)", "Spread of an area's towns around the area centre.", gt=0, le=100)
    town_shares: list[float] = P([0.6, 0.25, 0.15], "shares of town practices", "assumption: an area's main town holds most of its practices, smaller market towns the rest", "Shares of an area's town (not rural) practices around its first, second, ... town; the number of shares is the number of towns per area. They must add up to 1.", min_length=1, max_length=10)
    area_deprivation_alpha: float = P(2.0, "beta shape", "assumption: with area_deprivation_beta 2.5, areas spread over the whole 0-1 range like IMD ranks, a little more of them in the less deprived half (mean 0.44)", "First shape parameter of the beta distribution of commissioner areas' deprivation (0-1).", gt=0, le=100)
    area_deprivation_beta: float = P(2.5, "beta shape", "assumption: see area_deprivation_alpha", "Second shape parameter of the beta distribution of commissioner areas' deprivation (0-1).", gt=0, le=100)
    deprivation_sd: float = P(0.15, "deprivation (0-1)", "assumption: practices within an area differ by less than areas do (area sd about 0.2)", "Spread of a practice's deprivation around its area's level.", ge=0, le=1)
    rural_deprivation_offset: float = P(0.12, "deprivation (0-1)", "assumption: rural practices serve less deprived populations than their area's towns", "How much less deprived a rural practice is than its area's level.", ge=-1, le=1)
    independence_alpha: float = P(2.0, "beta shape", "assumption: with independence_beta 3, most practices value independence moderately (mean 0.4), few not at all or entirely", "First shape parameter of the beta distribution of how much practices value independence (0-1).", gt=0, le=100)
    independence_beta: float = P(3.0, "beta shape", "assumption: see independence_alpha", "Second shape parameter of the beta distribution of how much practices value independence (0-1).", gt=0, le=100)
    trust_alpha: float = P(3.0, "beta shape", "assumption: with trust_beta 2, most practices trust their neighbours moderately (mean 0.6), as most areas already collaborated in some way (seeds)", "First shape parameter of the beta distribution of practices' trust in their neighbours (0-1).", gt=0, le=100)
    trust_beta: float = P(2.0, "beta shape", "assumption: see trust_alpha", "Second shape parameter of the beta distribution of practices' trust in their neighbours (0-1).", gt=0, le=100)

    scale: float = P(1.0, "share of England", "design: one rule for a smaller or larger England", "Scales the synthetic England as a whole, applied when the scenario is read (it then reads 1): practices (rounded), commissioner areas (rounded, at least 1), regions (at most the areas) and the country's side (by the square root, at least 10.5 km, so practices stay as far apart). Supplies of new GPs and additional-roles staff are per patient, so they follow. 0.1 gives a tenth of England.", gt=0, le=10)

    @model_validator(mode="before")
    @classmethod
    def _scaled(cls, data: Any) -> Any:
        """Apply `scale` to the fields it moves, once: the scaled scenario reads scale 1."""
        if not isinstance(data, dict) or "scale" not in data or data["scale"] == 1:
            return data
        scale = data["scale"]
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not 0 < scale <= 10:
            return data  # the field's own check reports it
        if data.get("source") == "nhs_files":
            raise ValueError("expected scale 1 with source nhs_files (scale resizes the synthetic England); found scale " + f"{scale:g}")
        field = cls.model_fields
        value = {name: data.get(name, field[name].default) for name in ("practices", "commissioner_areas", "regions", "side_km")}
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value.values()):
            return data  # a wrong type is reported by the field's own check
        areas = max(1, round(value["commissioner_areas"] * scale))
        return {**data, "scale": 1.0, "practices": max(1, round(value["practices"] * scale)), "commissioner_areas": areas,
                "regions": min(value["regions"], areas), "side_km": round(max(value["side_km"] * scale ** 0.5, 10.5), 3)}

    @model_validator(mode="before")
    @classmethod
    def _practices_path(cls, data: Any) -> Any:
        """With source nhs_files, `practices: <path>` names the practices file (not a count)."""
        if isinstance(data, dict) and data.get("source") == "nhs_files" and isinstance(data.get("practices"), str) \
                and not data.get("practices_file"):
            data = {**data, "practices_file": data["practices"]}
            del data["practices"]
        return data

    @model_validator(mode="after")
    def _ordered(self) -> "Population":
        if self.max_list_size <= self.min_list_size:
            raise ValueError("max_list_size must be above min_list_size")
        if min(self.town_shares) < 0 or abs(sum(self.town_shares) - 1.0) > 1e-6:
            raise ValueError(f"town_shares must be shares of at least 0 adding up to 1; found them adding up to {sum(self.town_shares):g}")
        if self.source == "nhs_files":
            missing = [name for name in ("registrations", "workforce", "pcn_membership", "practices_file") if not getattr(self, name)]
            if missing:
                raise ValueError(f"expected the file paths {', '.join(missing)} when source is nhs_files; found them missing")
        return self


class Demand(Section):
    """Registered population and consultations per patient."""

    annual_list_growth: float = P(0.011, "per year", "evidence: registered patients 56.0M -> 62.4M, Apr 2013 -> Apr 2023", "Growth of registered patients.", ge=-0.2, le=0.2)
    list_growth_sd: float = P(0.02, "per year", "assumption: practices grow unevenly", "Spread of yearly list growth between practices.", ge=0, le=1)
    annual_consultation_growth: float = P(0.012, "per year", "assumption: ageing and multimorbidity (model brief, mechanism 1)", "Growth in GP time needed per registered patient.", ge=-0.2, le=0.2)
    max_monthly_list_fall: float = P(0.5, "share of list", "assumption: a floor on the growth noise, never reached at the default spread; no practice loses half its list in a month", "Largest share of its list a practice can lose in one month to uneven growth.", ge=0, le=1)


def _check_one_a_month(name: str, entries: list) -> None:
    dates = [entry.date for entry in entries]
    if len(set(dates)) != len(dates):
        raise ValueError(f"{name} must have one entry per month; found a month given twice")


def _compounded(yearly_change: float, first: str, last: str, month: int) -> float:
    """A yearly change compounded from `first` (YYYY-MM) to `month` (a month_number): 1 before
    `first`, held after `last` (YYYY-MM)."""
    first_month, last_month = month_number(first), month_number(last)
    years = (min(max(month, first_month), max(last_month, first_month)) - first_month) / 12.0
    return (1.0 + yearly_change) ** years


class GpIntake(Section):
    """The supply of new GPs from `date` on, relative to the supply the calibration saw."""

    date: YearMonth = P(..., "YYYY-MM", "scenario", "Month this supply starts (August, when a training cohort finishes).")
    index: float = P(..., "multiple of new_gps_per_1000_patients", "evidence: Workforce / GP training intake (HEE), three years earlier, over the 2,700 a year of the cohorts that entered practice in the calibration years", "Supply of new GPs relative to new_gps_per_1000_patients.", ge=0, le=10)
    source: str = P("", "-", "scenario", "Where the figure comes from.", max_length=2_000)


class Workforce(Section):
    """Staff in post at the start and the flows each month."""

    gp_fte_per_1000: float = P(0.55, "FTE per 1,000 patients", "evidence: Workforce / fully qualified GP FTE per 1,000 (0.53 in 2015)", "GP FTE per 1,000 patients at the start, the staffing practices aim for.", gt=0, le=5)
    partner_share: float = C("workforce.partner_share", 0.72, "share of GP headcount", "evidence: Workforce / partners 70.5% of partners and salaried GPs by headcount in September 2015 (24,491 of 34,761), falling; fitted to salaried GP FTE per 1,000 of 0.12 in 2015", "Share of GPs who are partners at the start.", ge=0, le=1)
    partner_fte_per_head: float = P(0.85, "FTE", "assumption", "Working time of a partner.", gt=0, le=1.5)
    salaried_fte_per_head: float = P(0.70, "FTE", "assumption", "Working time of a salaried GP.", gt=0, le=1.5)
    working_time_change: float = P(0.0, "share per year", "scenario (history: evidence: Workforce / median FTE of a fully qualified GP 0.80 -> 0.69, 2015 -> 2022)", "Yearly change in the working time of salaried GPs, and of partners unless `partner_working_time_change` is set, between `working_time_from` and `working_time_until` (-0.02 is 2% less each year); constant outside those months.", ge=-0.2, le=0.2)
    partner_working_time_change: float | None = P(None, "share per year", "scenario (history: evidence: Workforce / GP partners before the network contract, partner FTE per head 0.886 in Sep 2015 and 0.881 in Dec 2018)", "Yearly change in partners' working time over the same months, where it differs from `working_time_change`; unset, partners change as salaried GPs do.", ge=-0.2, le=0.2)
    working_time_from: YearMonth = P("2015-09", "YYYY-MM", "scenario", "First month of the change in working time.")
    working_time_until: YearMonth = P("2022-09", "YYYY-MM", "scenario", "Last month of the change in working time; it stays at that month's level after.")
    nurse_fte_per_1000: float = P(0.27, "FTE per 1,000 patients", "evidence: Workforce / whole practice workforce 1.97 per 1,000 (2015)", "Practice nurses at the start, raised as consultations per patient grow.", ge=0, le=5)
    direct_care_fte_per_1000: float = P(0.15, "FTE per 1,000 patients", "evidence: Workforce / whole practice workforce 1.97 per 1,000 (2015)", "Other direct patient care staff employed by practices at the start, raised as consultations per patient grow.", ge=0, le=5)
    admin_fte_per_1000: float = P(1.00, "FTE per 1,000 patients", "evidence: Workforce / whole practice workforce 1.97 per 1,000 (2015)", "Administrative staff at the start, raised as consultations per patient grow.", ge=0, le=10)
    leaving_rate: float = C("workforce.leaving_rate", 0.065, "per GP per year", "evidence: Workforce / GP leavers, national (3,681 of about 37,000 a year) less retirement", "GP leaving hazard at normal workload.", ge=0, le=1)
    partner_retirement_rate: float = C("workforce.partner_retirement_rate", 0.035, "per partner per year", "assumption: older partner age profile", "Extra leaving hazard of partners (retirement).", ge=0, le=1)
    workload_elasticity: float = C("workforce.workload_elasticity", 1.5, "-", "assumption: calibrated later", "How steeply leaving rises with workload (required / available GP time), up to `leaving_workload_cap`.", ge=0, le=10)
    leaving_rate_change: float = C("workforce.leaving_rate_change", 0.0, "share per year", "evidence: Workforce / GP leavers, national, earlier years (2,807 -> 3,437 a year, 2016/17 -> 2018/19) and Workforce / GP early retirement and pension tax (588 voluntary early retirements in 2018 against 198 in 2008; the pension allowance tapered from April 2016); fitted to national leavers in 2016/17 and 2017/18", "Yearly change in GPs' leaving hazard from causes the model does not represent (pension tax, early retirement) between `leaving_change_from` and `leaving_change_until`, held after (0.05 raises it 5% a year).", ge=-0.5, le=1)
    leaving_change_from: YearMonth = P("2016-04", "YYYY-MM", "evidence: Workforce / GP early retirement and pension tax (the annual allowance tapered from 6 April 2016)", "First month of the change in GPs' leaving hazard outside workload.")
    leaving_change_until: YearMonth = P("2019-03", "YYYY-MM", "assumption: the last month calibration sees (docs/ODD.md section 8); nothing in the model says how that pressure moved after, so it is held", "Last month of the change in GPs' leaving hazard outside workload; it stays at that month's level after.")
    leaving_workload_cap: float = P(1.3, "ratio", "assumption: beyond about a third more work than its GPs' time, a practice rations access (triage, fewer and later appointments) rather than its GPs working longer, as practices did once demand outran capacity after 2015 (evidence: Workforce / GP workload per patient); it bounds a GP's leaving hazard at about 2.2 times the normal rate (0.17 a year), within the 10-40% a year of the practices with the highest turnover (evidence: Workforce / GP turnover, practice level)", "Workload (GP time needed over available) beyond which GPs' leaving rises no further.", ge=1, le=100)
    deprivation_leaving_ratio: float = P(1.09, "rate ratio", "evidence: Workforce / GP turnover higher in deprived areas (rate ratio 1.09)", "Leaving hazard ratio of the most against the least deprived practice.", ge=0.5, le=3)
    moving_rate: float = C("workforce.moving_rate", 0.03, "per salaried GP per year", "assumption: practice-level turnover, which counts moves between practices (evidence: Workforce / Parisi et al. 2021), runs above national leaving (NHS Digital leavers)", "Hazard of a salaried GP looking for a post at another practice, at normal workload (workload, deprivation and support scale it as they scale leaving). A GP looking moves only if the month's vacancies take them.", ge=0, le=1)
    partner_to_salaried_rate: float = C("workforce.partner_to_salaried_rate", 0.008, "per partner per year", "assumption: partners becoming salaried (partner FTE -26%, 2015-22)", "Partners giving up partnership each year.", ge=0, le=1)
    new_gps_per_1000_patients: float = C("workforce.new_gps_per_1000_patients", 0.052, "GPs per 1,000 registered patients per year", "assumption: about 2,900 newly qualified and returning GPs a year enter practice for 56M patients", "Supply of GPs to fill vacancies, scaled to the population simulated.", ge=0, le=10)
    new_gp_intake: list[GpIntake] = P([], "-", "scenario (evidence: Workforce / GP training intake; the shipped history leaves it out, docs/ODD.md section 8)", "Dated changes in the supply of new GPs, each holding from its month until the next; before the first, the supply is new_gps_per_1000_patients as calibrated.", max_length=200)
    new_gp_partner_share: float = C("workforce.new_gp_partner_share", 0.3, "share", "assumption: most new GPs start salaried", "Share of recruited GPs who join as partners.", ge=0, le=1)
    vacancy_fill_rate: float = P(0.25, "per month", "assumption", "Largest share of a practice's vacancies filled in a month.", ge=0, le=1)
    rural_attraction: float = P(0.75, "relative", "assumption: recruitment is harder away from towns", "Attractiveness of a rural practice to recruits, town = 1.", gt=0, le=5)
    deprived_attraction: float = P(0.75, "relative", "assumption: recruitment is harder in deprived areas", "Attractiveness of the most deprived practice, least deprived = 1.", gt=0, le=5)
    network_attraction: float = P(1.25, "relative", "assumption: networks offer training and support (seeds)", "Attractiveness of a practice in a mature network.", gt=0, le=5)
    partner_earnings_elasticity: float = P(1.0, "-", "assumption: pay is a lesser reason to leave than workload (evidence: Money / partners' pay and leaving); 1 makes a 10% fall in partners' earnings raise their leaving by about 10%", "How partner leaving responds to partners' earnings against their target drawings: the hazard is multiplied by (earnings / target) ^ -this.", ge=0, le=5)
    locum_cover: float = C("workforce.locum_cover", 0.5, "share", "assumption", "Share of a practice's missing GP time filled by locums.", ge=0, le=1)
    min_available_gp_fte: float = P(0.25, "FTE", "assumption: a practice with no GP in post still has about a session a day covered", "Least GP time counted as available when measuring workload, so a practice without GPs has a finite workload.", gt=0, le=10)
    min_workload: float = P(0.25, "ratio", "assumption: keeps the workload term of the leaving hazard (workload^elasticity) between about 0.1 and 8 times", "Lowest workload (GP time needed over available) a practice is taken to have.", gt=0, le=1)
    max_workload: float = P(4.0, "ratio", "assumption: see min_workload; a practice needing four times the GP time it has is in distress already", "Highest workload (GP time needed over available) a practice is taken to have.", ge=1, le=100)
    max_staff_support: float = P(0.9, "share", "assumption: memberships together never remove every reason to leave", "Largest cut in GP leaving hazard that a practice's memberships give together.", ge=0, le=1)
    staff_adjustment_months: float = P(12.0, "months", "assumption: practices adjust nurse and admin staffing over about a year", "How fast nurses, other direct care and admin staff follow the list and its consultations (the gap closes by 1/this each month).", ge=1, le=240)

    @model_validator(mode="after")
    def _one_intake_a_month(self) -> "Workforce":
        _check_one_a_month("new_gp_intake", self.new_gp_intake)
        return self

    def new_gp_supply_index(self, month: int) -> float:
        """Supply of new GPs in a month (a month_number), relative to new_gps_per_1000_patients:
        the index of the latest new_gp_intake entry dated at or before it, else 1."""
        started = [intake for intake in self.new_gp_intake if month_number(intake.date) <= month]
        return max(started, key=lambda intake: month_number(intake.date)).index if started else 1.0

    def working_time_factor(self, month: int, partners: bool = False) -> float:
        """Working time of a salaried GP (of a partner, with `partners`) in a month (a
        month_number) relative to before the change in working time: 1 before
        `working_time_from`, held after `working_time_until`."""
        change = self.working_time_change
        if partners and self.partner_working_time_change is not None:
            change = self.partner_working_time_change
        return _compounded(change, self.working_time_from, self.working_time_until, month)

    def leaving_factor(self, month: int) -> float:
        """GPs' leaving hazard from causes outside workload in a month (a month_number), relative
        to before its change: 1 before `leaving_change_from`, held after `leaving_change_until`."""
        return _compounded(self.leaving_rate_change, self.leaving_change_from, self.leaving_change_until, month)

    def fte_per_head(self, month: int) -> tuple[float, float]:
        """Working time (FTE) of a partner and of a salaried GP in a month (a month_number),
        with the change in working time up to then."""
        return (self.partner_fte_per_head * self.working_time_factor(month, partners=True),
                self.salaried_fte_per_head * self.working_time_factor(month))


class Uplift(Section):
    """One year's uplifts to practice funding and costs, from `date` on: shares of the level before
    (0.02 is 2%), nominal. Scenarios give the figures with their source (docs/money.md)."""

    date: YearMonth = P(..., "YYYY-MM", "scenario", "Month the uplifts take effect (April for a financial year).")
    funding: float = P(0.0, "share", "evidence: docs/money.md, GP contract uplifts", "Uplift to practice income per patient (global sum and other contract income).", ge=-0.5, le=1)
    gp_pay: float = P(0.0, "share", "evidence: docs/money.md, DDRB pay awards", "Pay award to GPs: partners' target drawings and salaried and locum GP costs.", ge=-0.5, le=1)
    staff_pay: float = P(0.0, "share", "evidence: docs/money.md, Agenda for Change pay awards", "Pay award to practice nurses, other direct care and admin staff.", ge=-0.5, le=1)
    employer_on_costs: float = P(0.0, "share of employed pay", "evidence: docs/money.md, employer National Insurance changes", "Rise in employers' National Insurance and pension costs, as a share of the pay of salaried GPs and staff.", ge=-0.5, le=1)
    other_costs: float = P(0.0, "share", "evidence: docs/money.md, consumer prices (CPI)", "Rise in premises and other running costs.", ge=-0.5, le=1)
    source: str = P("", "-", "scenario", "Where the year's figures come from.", max_length=2_000)


class Money(Section):
    """Practice income and costs, GBP per year at the start's prices (2019/20 levels)."""

    global_sum_per_weighted_patient: float = P(89.88, "GBP per weighted patient per year", "evidence: Money / global sum 2019/20", "Core contract income.", ge=0, le=1_000)
    other_income_per_patient: float = P(48.0, "GBP per patient per year", "assumption: quality and enhanced services", "Quality, enhanced-service and other income.", ge=0, le=1_000)
    partner_drawings_per_fte: float = P(115_000.0, "GBP per FTE per year", "assumption: the income partners need to stay", "Target partner income, counted as a cost so a deficit means partners are underpaid.", ge=0, le=10_000_000)
    salaried_gp_cost_per_fte: float = P(95_000.0, "GBP per FTE per year", "assumption: salary and on-costs", "Salaried GP cost.", ge=0, le=10_000_000)
    locum_premium: float = P(1.6, "multiple of salaried cost", "assumption: locums cost more per hour", "Locum cost relative to a salaried GP.", ge=1, le=10)
    nurse_cost_per_fte: float = P(48_000.0, "GBP per FTE per year", "assumption", "Nurse cost.", ge=0, le=10_000_000)
    direct_care_cost_per_fte: float = P(36_000.0, "GBP per FTE per year", "assumption", "Other direct patient care staff cost.", ge=0, le=10_000_000)
    admin_cost_per_fte: float = P(29_000.0, "GBP per FTE per year", "assumption", "Administrative staff cost.", ge=0, le=10_000_000)
    premises_per_patient: float = P(20.0, "GBP per patient per year", "assumption: premises, running costs and other expenses not tied to staff, at a list of reference_list_size", "Premises and running costs per patient of a practice with reference_list_size patients.", ge=0, le=10_000)
    reference_list_size: float = P(6000.0, "patients", "assumption: a mid-sized practice of 2013", "List at which premises and running costs per patient are premises_per_patient.", gt=0, le=1_000_000)
    size_cost_elasticity: float = P(0.33, "per unit log list size", "evidence: Money / practice expenses per patient by size (88.49 GBP single-handed to 98.45 with 6+ GPs, 2013/14): about 10 GBP more per patient from a 2,500 to a 12,000 list", "How premises and running costs per patient rise with list size: they are premises_per_patient x (list / reference_list_size) ^ this, so larger practices spend more per patient, not less.", ge=-1, le=2)
    fixed_costs: float = P(0.0, "GBP per practice per year", "evidence: Money / practice expenses per patient by size (no economy of scale in the published expenses)", "Costs every practice carries whatever its size; none by default, since expenses per patient rise with size.", ge=0, le=100_000_000)
    reserve_cap_months: float = P(3.0, "months of costs", "assumption: partners draw surpluses as profit", "Reserves above this are drawn by the partners.", ge=0, le=120)
    initial_reserve_months: float = P(2.0, "months of costs", "assumption", "Mean reserves at the start.", ge=0, le=60)
    initial_reserve_sigma: float = P(0.5, "log GBP", "assumption: reserves vary by about half either way between practices", "Spread of starting reserves between practices (lognormal with mean one, times initial_reserve_months of costs).", ge=0, le=3)
    deficit_distress_months: float = P(2.0, "months of costs", "assumption", "Overdraft, in months of costs, that counts as financial distress.", ge=0, le=60)
    funding_growth: float = P(0.0, "per year", "scenario assumption: forward scenarios say what they assume beyond the published uplifts (docs/money.md)", "Steady yearly growth of income per patient on top of the dated uplifts, compounded monthly; 0 keeps funding at the uplifts' level.", ge=-0.2, le=0.5)
    cost_growth: float = P(0.0, "per year", "scenario assumption: forward scenarios say what they assume beyond the published pay awards and prices (docs/money.md)", "Steady yearly growth of GP pay, staff pay and other costs on top of the dated uplifts, compounded monthly; 0 keeps costs at the uplifts' level.", ge=-0.2, le=0.5)
    uplifts: list[Uplift] = P([], "-", "scenario: money paths in docs/money.md", "Yearly uplifts to funding and costs, each applied in its month (dated before the start: already in the levels above). With none, income and costs per unit stay at the start's levels: funding keeps pace with costs.", max_length=200)

    @model_validator(mode="after")
    def _one_uplift_a_month(self) -> "Money":
        _check_one_a_month("uplifts", self.uplifts)
        return self


class Behaviour(Section):
    """How practices weigh joining or forming a network (logit utility, calibrated later)."""

    decision_rate: float = P(0.05, "per month", "assumption: practices reconsider their memberships about every 20 months", "Monthly probability that a practice reconsiders a membership; it then chooses membership with the logit probability of its utility, so coverage settles where choices balance.", ge=0, le=1)
    intercept: float = C("behaviour.intercept", 0.0, "utility", "assumption", "Utility of joining with no incentive, peers or push.", ge=-50, le=50)
    money_weight: float = P(0.5, "utility per GBP per patient per year", "assumption: with the 2019 network contract's payments, duties and promised roles, about 99% of practices join (evidence: Networks / over 99% in a PCN), and a smaller offer leaves some out", "Pull of each GBP per patient per year that membership brings, net of what its duties cost.", ge=0, le=50)
    band_indifference_per_patient: float = P(0.1, "GBP per patient per year", "assumption: founders aim for a paid band when it brings more than a few pence per patient", "Money at stake in a paid band at which half of founders would aim for the band and half for the kind's natural size (the chance is at stake / (at stake + this)).", gt=0, le=1_000)
    peer_weight: float = C("behaviour.peer_weight", 2.0, "utility", "assumption: peers who joined pull others in (model brief)", "Pull of neighbours already members.", ge=0, le=50)
    commissioner_weight: float = P(1.5, "utility", "assumption: commissioners push (seeds: 98% encouraged)", "Pull of commissioner encouragement.", ge=0, le=50)
    independence_weight: float = C("behaviour.independence_weight", 2.0, "utility", "assumption", "Cost of giving up independence.", ge=0, le=50)
    distrust_weight: float = P(1.5, "utility", "assumption", "Cost of weak trust in neighbours.", ge=0, le=50)
    pressure_weight: float = P(1.5, "utility", "assumption: struggling practices seek protection", "Pull of workload or financial pressure.", ge=0, le=50)
    prior_collaboration_weight: float = P(1.0, "utility", "assumption: earlier collaboration builds trust", "Pull when already in another kind of organisation.", ge=0, le=50)
    neighbours: int = P(8, "practices", "assumption", "Nearest practices a practice watches.", ge=1, le=50)
    max_network_distance_km: float = P(20.0, "km", "assumption: networks are geographically contiguous", "Farthest a founding practice reaches for members.", gt=0, le=500)
    network_merge_rate: float = P(1.5, "per year", "assumption: commissioners steer small networks together", "Yearly hazard that a network outside the paid band merges with a neighbouring one.", ge=0, le=12)
    steering_reach: float = P(2.0, "multiple of max_network_distance_km", "assumption: commissioners place a practice too small to be paid in a network farther away than the practice would look itself", "How much farther than max_network_distance_km a practice too small to found a network is steered into one.", ge=1, le=20)
    nearest_networks: int = P(8, "networks", "assumption: a practice weighs a handful of networks nearby; more rarely lie within reach in one area", "Nearest network sites a practice choosing membership looks at for one with room.", ge=1, le=100)
    initial_network_age_months: int = P(36, "months", "assumption: organisations that exist at the start are past their workforce and sustainability ramps", "Age given at the start to the organisations that exist then.", ge=0, le=600)


class Band(Section):
    """Who gets paid: the list size a network must have."""

    min_patients: float = P(30000.0, "patients", "evidence: Networks / PCN size rule", "Smallest network that is paid.", ge=0, le=100_000_000)
    max_patients: float = P(50000.0, "patients", "evidence: Networks / PCN size rule", "Largest network paid without commissioner agreement.", gt=0, le=100_000_000)
    rural_floor_share: float = P(0.0, "share of min_patients", "evidence: Networks / PCN size rule (the minimum is waived only for sparse rural areas); the floor is an assumption", "Commissioners waive the minimum for a mostly rural network if it has at least this share of min_patients (0: any mostly rural network; a network too small for the floor must merge to be paid).", ge=0, le=1)
    above_max_margin: float = P(1.0, "share of max_patients", "evidence: Networks / PCN size rule (networks above the maximum are paid with the commissioner's agreement); the margin is an assumption", "Commissioners agree to pay a network above max_patients only up to max_patients x (1 + this): one natural community, not an area-wide network.", ge=0, le=100)
    rural_waiver_share: float = P(0.5, "share of patients", "evidence: Networks / PCN size rule (minimum waivable for sparse rural areas), read as over half the patients in rural practices", "Share of a network's patients in rural practices above which it is mostly rural and may be waived under the minimum.", ge=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> "Band":
        if self.max_patients < self.min_patients:
            raise ValueError("max_patients must not be below min_patients")
        return self


class Payments(Section):
    """Money tied to membership of a paid network, GBP per year."""

    participation_per_weighted_patient: float = P(0.0, "GBP per weighted patient per year", "evidence: Networks / DES payments 2019/20 (1.761)", "Paid to each member practice.", ge=0, le=1_000)
    core_per_patient: float = P(0.0, "GBP per patient per year", "evidence: Networks / DES payments 2019/20 (1.50), 2024/25 (2.916)", "Paid to the network's pooled fund.", ge=0, le=1_000)
    leadership_per_patient: float = P(0.0, "GBP per patient per year", "evidence: Networks / DES payments 2019/20 (clinical director 0.514)", "Paid to the network for leadership.", ge=0, le=1_000)
    support_per_patient: float = P(0.0, "GBP per patient per year", "assumption: commissioner support for forming", "Commissioner money for members in the first two years.", ge=0, le=1_000)
    obligations_per_patient: float = P(0.0, "GBP per patient per year", "assumption: what the contract's duties cost a member (for the network contract: extended hours of 30 minutes per 1,000 patients a week, meetings and shared services)", "What membership costs a practice in time and money, weighed against the payments when it decides to join.", ge=0, le=1_000)


class Provider(Section):
    """An integrated provider's contract: a population budget, procured by commissioners area by
    area, which practices join by integrating fully (their contract passes to the provider) or in
    an alliance (keeping their own), and which may step in for a practice that would hand back
    its contract. The 2016 new care models (MCPs, PACS) and the 2026 neighbourhood contracts
    are described this way (docs/ODD.md, Integrated providers)."""

    # Procurement: size, footprint and who leads.
    size_patients: float = P(250000.0, "patients", "evidence: Integrated providers / PACS covered at least 250,000; multi-neighbourhood providers about 250,000, to step in", "Registered patients a contract covers: commissioners add contiguous practices of one area, nearest first, until it is reached.", gt=0, le=100_000_000)
    tile_area: bool = P(True, "yes/no", "design", "Whether an area that procures lets contracts until all its practices are covered (true: a national contract) or lets a single contract (false: a vanguard site).")
    target_coverage: float = P(1.0, "share of patients", "scenario", "National share of registered patients covered by this kind at which commissioners stop procuring.", ge=0, le=1)
    procurement_rate: float = P(1.0, "per area per year", "assumption: a procurement takes about a year (range 0.5-4)", "Yearly hazard that an area with practices not yet covered lets its contracts, while coverage is below target_coverage.", ge=0, le=12)
    lead_kinds: list[str] = P([], "organisation kind names", "scenario", "Kinds of GP organisation that may lead a contract (the area's largest such organisation, if big enough); without one a contract goes to a trust (at trust_lead_share) or to its practices together.")
    lead_min_patients: float = P(100000.0, "patients", "assumption: a large-scale GP organisation (evidence: Integrated providers / built on large-scale general practice); range 30,000-250,000", "Smallest GP organisation commissioners award a contract to.", ge=0, le=100_000_000)
    trust_lead_share: float = P(0.3, "probability", "assumption: the 10 Year Health Plan lets trusts lead; no published split (range 0-0.7)", "Chance that an area awards its contract to an NHS trust even where a GP organisation could lead.", ge=0, le=1)
    # Practices: integrating fully or in an alliance.
    integration_share: float = P(0.3, "probability", "assumption: few vanguard practices gave up their contracts (range 0.1-0.8)", "Chance that a covered practice integrates fully (its contract passes to the provider; it becomes a site) rather than joins in an alliance.", ge=0, le=1)
    # The population budget and where it goes.
    budget_per_patient: float = P(100.0, "GBP per patient per year", "assumption: contracts not yet published; community and out-of-hospital services beyond core general practice (range 20-400)", "Whole-population budget for services beyond core general practice.", ge=0, le=10_000)
    practice_share: float = P(0.02, "share of budget", "assumption: most of the budget buys services beyond general practice (range 0-0.3)", "Share of the budget that reaches member practices: first their overdrafts where integrated, then per patient.", ge=0, le=1)
    shared_staff_share: float = P(0.02, "share of budget", "assumption: range 0-0.2", "Share of the budget spent on salaried GPs employed across practices, whose time covers members' missing GP time.", ge=0, le=1)
    # Step-in, and the cost of cross-site working.
    step_in_probability: float = P(0.0, "probability", "evidence: Integrated providers / multi-neighbourhood providers about 250,000, to step in; the probability is an assumption (range 0.5-1)", "Chance the provider takes over a covered practice that would hand back its contract (0: no step-in).", ge=0, le=1)
    staff_kept_share: float = P(0.7, "share of GPs", "assumption: most salaried GPs and some partners stay when a provider takes over (range 0.4-0.9)", "Share of a taken-over practice's GPs who stay (partners become salaried); their patients keep their usual GP.", ge=0, le=1)
    integrated_continuity_cost: float = P(0.02, "share of continuity", "assumption: cross-site rotas of an integrated provider (evidence: seeds, loss of continuity); range 0-0.1", "Continuity an integrated site loses to cross-site working once mature, on top of the kind's cross_site_continuity_cost.", ge=0, le=1)


class Organisation(Section):
    """One kind of organisation practices may belong to (a practice may be in one of each kind)."""

    kind: Literal["network", "federation", "super_partnership", "integrated_provider"] = P("network", "-", "model brief: entities", "What sort of organisation this is; an integrated_provider is procured (its provider section), not joined.")
    opens: YearMonth | None = P(None, "YYYY-MM", "scenario", "When practices may start to form and join these; empty means from the start.")
    initial_coverage: float = P(0.0, "share of practices", "assumption", "Share of practices already members at the start.", ge=0, le=1)
    band: Band | None = P(None, "-", "scenario", "Size band that is paid; empty means size is not a condition of payment.")
    payments: Payments = P(Payments(), "-", "scenario", "Money tied to membership.")
    natural_size_patients: float = P(100000.0, "patients", "evidence: Networks / 53% of collaborations over 100k patients", "Median size founders aim for when no band is paid.", gt=0, le=100_000_000)
    natural_size_sigma: float = P(0.5, "log patients", "assumption", "Spread of the size founders aim for.", ge=0, le=3)
    decision_rate: float | None = P(None, "per month", "scenario", "Overrides behaviour.decision_rate for this kind (a sign-up window makes practices decide quickly).", ge=0, le=1)
    commissioner_push: float = P(0.0, "0-1", "evidence: seeds (98% of CCGs encouraged collaboration)", "Strength of commissioner encouragement.", ge=0, le=1)
    staff_support: float = P(0.10, "share", "evidence: seeds (sharing staff helped shortages and satisfaction)", "Cut in GP leaving hazard for members once mature.", ge=0, le=1)
    large_size_patients: float = P(100000.0, "patients", "evidence: seeds (over 100k better on staff experience)", "Size above which the extra staff benefit applies.", gt=0, le=100_000_000)
    large_staff_support: float = P(0.10, "share", "evidence: seeds (over 100k better on staff experience)", "Extra cut in leaving hazard in large organisations.", ge=0, le=1)
    back_office_saving_per_patient: float = P(1.0, "GBP per patient per year", "evidence: Money / expenses data show little direct economy of scale", "Saving from pooled back office once mature.", ge=0, le=100)
    pooled_cover: float = P(0.2, "share", "assumption: pooled rotas", "Share of members' missing GP time covered by the network once mature.", ge=0, le=1)
    cross_site_continuity_cost: float = P(0.02, "share of continuity", "evidence: seeds (loss of continuity an unintended consequence)", "Continuity lost to cross-site and hub working once mature.", ge=0, le=1)
    workforce_ramp_months: float = P(12.0, "months", "evidence: seeds (progress on most aims took at least a year)", "Time until workforce benefits are full.", gt=0, le=240)
    sustainability_ramp_months: float = P(24.0, "months", "evidence: seeds (sustainability at least two years)", "Time until money benefits are full.", gt=0, le=240)
    leader_burnout: float = P(0.5, "relative", "evidence: seeds (heroic leadership may not be sustainable)", "Extra leaving hazard for the founding practice's partners while young.", ge=0, le=10)
    provider: Provider | None = P(None, "-", "scenario", "The contract of an integrated provider (kind integrated_provider only).")

    @model_validator(mode="after")
    def _provider_kind(self) -> Organisation:
        if (self.kind == "integrated_provider") != (self.provider is not None):
            raise ValueError("expected a provider section exactly when kind is integrated_provider")
        return self


class RoleGroup(Section):
    """One group of additional roles: what a post costs and what it takes off GPs."""

    cost_per_fte: float = P(45_000.0, "GBP per FTE per year", "assumption", "Salary and on-costs of one FTE (the most the scheme reimburses).", ge=0, le=10_000_000)
    gp_time_saved_per_fte: float = P(0.2, "GP FTE per FTE", "assumption", "GP time one FTE of the group takes on.", ge=0, le=1)
    budget_share: float = P(0.0, "share of entitlement", "assumption", "Share of a network's entitlement it plans to spend on the group while the group is eligible (shares of eligible groups are scaled to add up to 1).", ge=0, le=1)
    eligible_from: YearMonth | None = P(None, "YYYY-MM", "scenario", "First month the scheme reimburses the group; empty means from the scheme's start.")


def _group(cost: float, gp_time: float, share: float, source: str, eligible_from: str | None = None) -> Any:
    return P(RoleGroup(cost_per_fte=cost, gp_time_saved_per_fte=gp_time, budget_share=share, eligible_from=eligible_from),
             "-", source, "One group of additional roles.")


class RoleGroups(Section):
    """The groups of roles the scheme reimburses, each with its own cost and effect."""

    clinical_pharmacists: RoleGroup = _group(48_000.0, 0.3, 0.28, "evidence: Policy / roles mix (pharmacists the largest group, about 4,000 by Jan 2023); cost assumption: Agenda for Change band 6-7 with on-costs, pharmacy technicians among them; GP time: assumption (medication reviews and repeat prescribing)")
    first_contact: RoleGroup = _group(55_000.0, 0.5, 0.24, "assumption: physiotherapists, paramedics and physician associates see patients who would see a GP; band 7-8a with on-costs")
    social_prescribers: RoleGroup = _group(35_000.0, 0.1, 0.14, "evidence: Policy / roles mix (2,345 link workers by Jan 2023); cost assumption: band 5 with on-costs; GP time: assumption (non-medical needs)")
    care_coordinators: RoleGroup = _group(30_000.0, 0.1, 0.24, "evidence: Policy / roles mix (2,448 care coordinators by Jan 2023); cost assumption: band 4 with on-costs")
    gps: RoleGroup = _group(92_462.0, 1.0, 0.05, "evidence: Policy / GPs in the roles scheme (newly qualified GPs from October 2024, reimbursable up to 92,462 GBP with on-costs)", "2024-10")
    nurses: RoleGroup = _group(50_000.0, 0.3, 0.05, "evidence: Policy / roles scheme 2025/26 (general practice nurses added)", "2025-04")


class AdditionalRoles(Section):
    """Staff employed by networks and reimbursed by the national scheme, up to an entitlement."""

    start: YearMonth | None = P(None, "YYYY-MM", "scenario", "When reimbursement starts; empty means no scheme.")
    employer: str = P("pcn", "-", "scenario", "Name of the organisation kind that employs them.")
    reimbursement_rate: float = P(1.0, "share of salary", "evidence: Policy / additional roles reimbursement (70% in 2019/20; 100% for all roles from April 2020)", "Share of a post's cost the scheme pays; the employing network's members pay the rest.", ge=0, le=1)
    entitlement_per_weighted_patient: float = P(22.6, "GBP per weighted patient per year", "evidence: Policy / additional roles reimbursement (national entitlement 1,412M GBP in 2023/24 for about 62.6M patients)", "Most the scheme reimburses a paid network in a year, per weighted patient; networks plan posts costing up to this.", ge=0, le=1_000)
    announced_entitlement_per_weighted_patient: float = P(0.0, "GBP per weighted patient per year", "scenario: what a multi-year contract promises (evidence: Networks / Additional Roles Reimbursement Scheme, about 1.47M GBP per typical 50k network by 2023/24 in the 2019 agreement)", "Entitlement that practices deciding whether to join expect over the contract they sign, where it is above this year's (0: only this year's counts).", ge=0, le=1_000)
    initial_fte_per_1000: float = P(0.0, "FTE per 1,000 patients", "scenario", "Staff already in post at the start in paid networks, shared between groups by budget_share (for runs that start after the scheme began).", ge=0, le=10)
    recruits_per_1000_patients: float = P(0.13, "FTE per 1,000 registered patients per year", "evidence: Networks / ARRS staff recruited (about 8,000 a year 2021-23 for 61M patients)", "Supply of additional-role staff, scaled to the population simulated.", ge=0, le=10)
    top_up_valuation_median: float = P(0.35, "share of a post's cost", "assumption: anchored on the first year at 70% reimbursement, when networks claimed about 60% of their entitlement (evidence: Policy / roles scheme underspend: Sheffield claimed 58% in 2019/20; up to 40% unspent in the first two years)", "What the median network would pay towards a post from its members' money, as a share of the post's cost; a network takes up the scheme only if this covers the part not reimbursed.", ge=0, le=10)
    top_up_valuation_sigma: float = P(0.6, "log share", "assumption: networks differ in what they think the roles are worth to them", "Spread between networks of that valuation (lognormal).", gt=0, le=5)
    leaving_rate: float = P(0.12, "per year", "assumption", "Leaving hazard of additional-role staff.", ge=0, le=1)
    run_down_months: float = P(12.0, "months", "assumption: fixed-term contracts run out over about a year", "How fast staff above a network's planned posts go when funding falls (the excess falls by 1/this each month).", ge=1, le=240)
    groups: RoleGroups = P(RoleGroups(), "-", "scenario", "The groups of roles the scheme reimburses.")


class Continuity(Section):
    """Share of GP consultations with the patient's usual GP (SLICC-like, practice level)."""

    initial: float = P(0.62, "share", "evidence: Continuity / saw preferred GP 65.3% (2012); SLICC 51.7% one practice (2019)", "Mean continuity at the start.", ge=0, le=1)
    initial_sd: float = P(0.06, "share", "assumption: practices differ by a few points around the national mean (GP Patient Survey practice spread)", "Spread of practices' continuity at the start around `initial`.", ge=0, le=1)
    ceiling: float = P(0.70, "share", "assumption", "Continuity of a stable, fully staffed practice.", ge=0, le=1)
    turnover_effect: float = C("continuity.turnover_effect", 1.5, "per unit yearly turnover", "evidence: Continuity / persistent high turnover 5.2% fewer see preferred GP", "Continuity lost per unit of yearly GP turnover.", ge=0, le=20)
    locum_effect: float = C("continuity.locum_effect", 0.8, "per unit locum share", "assumption", "Continuity lost per unit of locum share.", ge=0, le=5)
    part_time_effect: float = P(1.0, "elasticity", "evidence: Continuity / part-time working (GPs working part time give less continuity, scoping review of 14 studies); 1 is the reasoning that a patient can see their usual GP only on the days that GP works", "How continuity follows GPs' working time: what a practice's conditions allow is multiplied by (working time / working time before the change) ^ this, so 14% less working time (2015-2022) gives 14% less continuity.", ge=0, le=5)
    size_effect: float = P(0.04, "per doubling of list", "evidence: Money / larger lists have lower satisfaction", "Continuity lost per doubling of list above 6,000.", ge=0, le=1)
    survey_threshold: float = P(0.5, "share of consultations", "assumption: 'a lot of the time' read as at least half of a patient's consultations", "Share of their consultations with the usual GP at which a patient tells the GP Patient Survey they see their preferred GP always, almost always or a lot of the time.", gt=0, lt=1)
    survey_concentration: float = P(0.725, "-", "assumption: set so that the starting consultation share (0.62) reads as 63.2%, the survey's level in April 2013 on the straight line from 65.3% (2012) to 55.6% (2017) (evidence: Continuity)", "How closely patients' own shares of consultations with the usual GP gather around their practice's share (beta distribution concentration; lower is more spread).", gt=0, le=1000)
    moved_patient_continuity: float = P(0.2, "share", "assumption: moved patients start without a usual GP", "Continuity of patients moved by closure or merger.", ge=0, le=1)
    adjustment_months: float = P(12.0, "months", "assumption", "How fast continuity follows its conditions.", gt=0, le=240)
    max_cross_site_cost: float = P(0.9, "share of continuity", "assumption: memberships together never remove every consultation with the usual GP", "Largest share of continuity that a practice's memberships together cost through cross-site working.", ge=0, le=1)


class Closure(Section):
    """Practices merging with a neighbour or handing back their contract."""

    merger_rate: float = C("closure.merger_rate", 0.007, "per year", "evidence: practices fell about 178 a year 2013-23 (mostly mergers)", "Voluntary merger hazard of an ordinary practice.", ge=0, le=1)
    small_list_size: float = P(4000.0, "patients", "assumption", "Lists below this merge more readily.", gt=0, le=1_000_000)
    small_merger_ratio: float = C("closure.small_merger_ratio", 2.5, "rate ratio", "assumption: isolated small practices struggle (seeds)", "Merger hazard ratio of small practices.", ge=0, le=20)
    network_merger_ratio: float = P(1.5, "rate ratio", "assumption: networks lead to mergers", "Merger hazard ratio within a mature organisation.", ge=0, le=20)
    min_viable_gp_fte: float = P(0.5, "FTE", "assumption", "GP time below which a practice is in distress.", ge=0, le=10)
    understaffed_share: float = P(0.6, "share of GP time needed", "assumption: practices absorb a shortfall by working harder (workload, and so leaving, rises with it), but one with under 60% of the GP time its list needs cannot keep its surgeries safe for long", "GP time available (in post, locum and pooled cover) as a share of the time needed, below which a practice is understaffed and so in distress.", ge=0, le=1)
    unviable_partner_earnings: float = P(0.75, "share of target drawings", "assumption: partners hand back a contract that pays them under three quarters of the income they need to stay; no published threshold", "Partners' earnings (target drawings plus the month's profit, less its loss) below this share of their target drawings put a practice in distress.", ge=-10, le=2)
    distress_rate: float = P(0.15, "per month", "assumption", "Monthly hazard of ending for a practice in distress for three months or more.", ge=0, le=1)
    merger_distance_km: float = P(10.0, "km", "assumption", "Farthest neighbour a practice merges with.", gt=0, le=500)
    receiving_practices: int = P(4, "practices", "assumption", "Nearest practices that take in a closed practice's patients.", ge=1, le=50)
    receiving_room_patients: float = P(100.0, "patients", "assumption: even a practice at its staffing limit takes a few patients, so every receiver gets a share", "Patients a receiving practice is taken to have room for on top of its spare capacity when a closed practice's patients are shared out.", gt=0, le=100_000)
    distressed_merger_share: float = P(0.5, "probability", "assumption: no published split between distressed practices merging and handing back; half each", "Chance that a distressed practice with a willing neighbour merges rather than hands back its contract.", ge=0, le=1)


class Entry(Section):
    """New practices where demand is unmet: at a vacant site (one whose practice closed or merged)
    whose nearest open practices' lists have grown large, commissioners let a new contract."""

    rate: float = P(0.3, "per vacant site per year", "assumption: with underserved_list_size, about 8 openings a year in the 2013-23 history (evidence: Practices and patients / 8 opened in the year to Jul 2017)", "Yearly hazard that a new practice opens at an underserved vacant site.", ge=0, le=12)
    underserved_list_size: float = P(16000.0, "patients", "assumption: about twice the 2017 mean list (7,800); few sites were underserved then, as few practices opened (evidence: 8 opened in the year to Jul 2017)", "Mean list of a vacant site's nearest open practices above which the site is underserved.", gt=0, le=1_000_000)
    neighbours: int = P(4, "practices", "assumption: as many as take in a closed practice's patients", "Nearest open practices whose lists decide whether a site is underserved, and from which the new practice's patients come.", ge=1, le=24)
    new_list_size: float = P(4000.0, "patients", "assumption: a new contract starts with a small list (about the 2,000-3,999 band most common in 2013)", "Patients a new practice takes from its neighbours.", gt=0, le=100_000)
    max_donor_share: float = P(0.25, "share of list", "assumption: no neighbour loses more than a quarter of its list to one new practice", "Largest share of a neighbour's list that moves to a new practice.", gt=0, le=1)


class Change(Section):
    """A dated change to the scenario: from `date`, set each key path to its value."""

    date: YearMonth = P(..., "YYYY-MM", "scenario", "When the change takes effect.")
    note: str = P("", "-", "scenario", "What the change is, in words.")
    set: dict[str, Any] = P(..., "-", "scenario", "Key paths (as for --set) and their new values.")


class StartFrom(Section):
    """Where a run starts when it does not build its own population: the simulated state of
    another scenario's run at a month, or a saved state file (docs/ODD.md, Initialisation)."""

    scenario: str | None = P(None, "file path or name", "scenario", "The scenario whose run is spun up to `month` (a path relative to this file, or a shipped scenario's name); replication r starts from its replication r, run with this scenario's seed.", min_length=1)
    month: YearMonth | None = P(None, "YYYY-MM", "scenario", "The month the run starts from: the named scenario's state at the start of this month. Must equal `start`.")
    state: str | None = P(None, "file or folder path", "scenario", "A saved state file (every replication starts from it), or a folder of replication_<r>.npz files, one per replication; relative to this file.", min_length=1)
    set: dict[str, Any] = P({}, "-", "scenario", "Fields of the named scenario to change before it is spun up (key paths as for --set, or nested), e.g. a smaller population for a quick run.")

    @model_validator(mode="after")
    def _one_source(self) -> "StartFrom":
        if (self.scenario is None) == (self.state is None):
            raise ValueError("expected exactly one of scenario (with month) or state")
        if self.scenario is not None and self.month is None:
            raise ValueError("expected month (YYYY-MM) with scenario")
        if self.set and self.scenario is None:
            raise ValueError("expected set only with scenario")
        return self


class Scenario(Section):
    """A whole scenario: the period, the population and the policies."""

    name: str = P("scenario", "-", "scenario", "Short name used for the output folder.", min_length=1, max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    title: str = P("", "-", "scenario", "One-line title for charts and reports.", max_length=200)
    description: str = P("", "-", "scenario", "What the scenario represents.", max_length=100_000)
    start: YearMonth = P("2013-04", "YYYY-MM", "scenario", "First simulated month.")
    months: int = P(120, "months", "scenario", "Length of the run.", gt=0, le=1200)
    seed: int = P(1, "-", "scenario", "Root random seed.", ge=0, le=2**63 - 1)
    replications: int = P(1, "runs", "scenario", "Independent replications with seeds derived from the root seed.", gt=0, le=10_000)
    start_from: StartFrom | None = P(None, "-", "scenario", "Start from another run's simulated state (or a saved state file) instead of building a population; the population section is then ignored.")
    population: Population = P(Population(), "-", "scenario", "Starting population (ignored with start_from).")
    demand: Demand = P(Demand(), "-", "scenario", "Demand.")
    workforce: Workforce = P(Workforce(), "-", "scenario", "Workforce.")
    money: Money = P(Money(), "-", "scenario", "Money.")
    behaviour: Behaviour = P(Behaviour(), "-", "scenario", "Joining and forming.")
    organisations: dict[str, Organisation] = P({}, "-", "scenario", "Kinds of organisation, by name.", max_length=20)
    additional_roles: AdditionalRoles = P(AdditionalRoles(), "-", "scenario", "Additional roles scheme.")
    continuity: Continuity = P(Continuity(), "-", "scenario", "Continuity of care.")
    closure: Closure = P(Closure(), "-", "scenario", "Closure and merger.")
    entry: Entry = P(Entry(), "-", "scenario", "New practices where demand is unmet.")
    changes: list[Change] = P([], "-", "scenario", "Dated changes, applied in date order.", max_length=1200)

    @property
    def end(self) -> str:
        """The month after the last simulated month, YYYY-MM."""
        return year_month(month_number(self.start) + self.months)
