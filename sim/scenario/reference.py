"""The scenario reference, generated from the schema so it can never drift from the code."""
from __future__ import annotations

import re
from typing import Any, get_args, get_origin

from pydantic import BaseModel

from sim.scenario.calibrated import SEARCH_SPACE
from sim.scenario.schema import Scenario


def model_of(annotation: Any) -> type[BaseModel] | None:
    """The section (a pydantic model) a field's annotation holds, directly or inside a dict, list or union."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = model_of(arg)
        if found is not None:
            return found
    return None


def _rows(model: type[BaseModel], prefix: str, defaults: BaseModel | None = None,
          source: str = "") -> list[tuple[str, type[BaseModel], BaseModel | None, str]]:
    """Each section of the schema: its key, model, the default instance its field gives (where
    the field's default differs from the model's own defaults) and that field's source."""
    sections = [(prefix or "(top level)", model, defaults, source)]
    for name, field in model.model_fields.items():
        inner = model_of(field.annotation)
        if inner is not None and inner is not model:
            key = f"{prefix}.{name}" if prefix else name
            if get_origin(field.annotation) is dict:
                key += ".<name>"
            elif get_origin(field.annotation) is list:
                key += ".<index>"
            value = getattr(defaults, name) if defaults is not None else field.default
            instance = value if isinstance(value, BaseModel) and value != inner.model_construct() else None
            sections.extend(_rows(inner, key, instance, (field.json_schema_extra or {}).get("source", "")))
    return sections


# The tables of docs/evidence.md that sources name ("evidence: <table> / <figure>"), by anchor.
EVIDENCE_TABLES = {"Practices and patients": "practices-and-patients", "Networks": "networks", "Workforce": "workforce",
                   "Continuity": "continuity", "Money": "money", "seeds": "seeds", "Policy": "policy-since-2020",
                   "Integrated providers": "integrated-providers"}
_EVIDENCE = re.compile(r"evidence: (" + "|".join(EVIDENCE_TABLES) + r")\b")


def linked(source: str) -> str:
    """A source with each evidence table it names linked to that table of docs/evidence.md."""
    return _EVIDENCE.sub(lambda m: f"[evidence: {m.group(1)}](evidence.md#{EVIDENCE_TABLES[m.group(1)]})", source)


def _default(field) -> str:
    value = field.default
    if isinstance(value, BaseModel) or value in ({}, []):
        return "see below" if isinstance(value, BaseModel) else "empty"
    return "required" if field.is_required() else ("empty" if value is None else repr(value))


def markdown_reference() -> str:
    """Every scenario field as Markdown tables: key, meaning, unit, default, source."""
    out = ["# Scenario reference", "",
           "Every field a scenario YAML may set. Omitted fields take the default. Money is GBP at 2019/20 levels, moved by the dated uplifts of money.uplifts (docs/money.md).",
           "Sources name a row of docs/evidence.md ('evidence: <table> / <figure>') or say 'assumption' with the reason.", ""]
    seen = set()
    for key, model, _, _ in _rows(Scenario, ""):
        if key in seen:
            continue
        seen.add(key)
        out += [f"## {key}", "", (model.__doc__ or "").strip(), "",
                "| key | meaning | unit | default | source |", "|---|---|---|---|---|"]
        for name, field in model.model_fields.items():
            extra = field.json_schema_extra or {}
            out.append(f"| {name} | {field.description or ''} | {extra.get('unit', '')} | {_default(field)} | {extra.get('source', '')} |")
        out.append("")
    return "\n".join(out)


def _bounds(field) -> str:
    low = high = None
    for item in field.metadata:
        low = getattr(item, "ge", getattr(item, "gt", low)) if low is None else low
        high = getattr(item, "le", getattr(item, "lt", high)) if high is None else high
    if low is None and high is None:
        return ""
    return f"{'' if low is None else f'{low:g}'} to {'' if high is None else f'{high:g}'}"


def parameter_table() -> str:
    """Every numeric or dated scenario field as one Markdown table: key path, meaning, unit,
    default, range (the calibration search range where calibrated, else the valid range),
    and source. docs/ODD.md embeds this table; a test keeps the two identical."""

    rows = ["| key | meaning | unit | default | range | source |", "|---|---|---|---|---|---|"]
    for key, model, defaults, section_source in _rows(Scenario, ""):
        if key == "(top level)":
            key = ""
        for name, field in model.model_fields.items():
            if model_of(field.annotation) is not None:
                continue
            path = f"{key}.{name}" if key else name
            extra = field.json_schema_extra or {}
            searched = SEARCH_SPACE.get(path)
            span = f"{searched[0]:g} to {searched[1]:g} (calibrated)" if searched else _bounds(field)
            # A section whose field sets its own defaults (a role group) takes that field's source.
            default = _default(field) if defaults is None else _value(getattr(defaults, name))
            source = extra.get("source", "") if defaults is None else section_source
            rows.append(f"| {path} | {field.description or ''} | {extra.get('unit', '')} | {default} | {span} | {linked(source)} |")
    return "\n".join(rows)


def _value(value: Any) -> str:
    return "empty" if value is None else repr(value)


def json_schema() -> dict:
    """JSON Schema (draft 2020-12) for scenario files as people write them, so that editors check
    them: the schema's fields (months as YYYY-MM), plus `extends` (a file or a shipped scenario's name), null for any
    setting (it removes that setting from the scenario extended, so its default applies), a
    practices file under `population.practices` with source nhs_files, and region codes as one text."""
    schema = Scenario.model_json_schema()
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "gpsim scenario", **schema}
    for node in (schema, *schema["$defs"].values()):
        properties = node.get("properties", {})
        for name, prop in properties.items():
            if prop.get("unit") == "YYYY-MM":
                for option in prop.get("anyOf", [prop]):
                    if option.get("type") == "string":
                        option["pattern"] = r"^\d{4}-(0[1-9]|1[0-2])$"
            properties[name] = _nullable(prop)
    organisations = schema["properties"]["organisations"]["anyOf"][0]  # by name: `pcn: null` removes one
    organisations["additionalProperties"] = _nullable(organisations["additionalProperties"])
    schema["properties"]["extends"] = {"anyOf": [{"type": "string", "minLength": 1}, {"type": "null"}],
                                       "description": "Another scenario file this one changes (relative to this file), or a shipped scenario's name."}
    population = schema["$defs"]["Population"]["properties"]
    population["practices"]["anyOf"].insert(1, {"type": "string", "minLength": 1, "description": "With source nhs_files: the practices file (epraccur.csv)."})
    population["region"]["anyOf"].insert(1, {"type": "string", "description": "Codes separated by commas or spaces."})
    return schema


def _nullable(prop: dict) -> dict:
    """A property that also takes null, with its description and default kept outside for editors."""
    if any(option.get("type") == "null" for option in prop.get("anyOf", ())):
        return prop
    outside = {key: prop[key] for key in ("title", "description", "default", "unit", "source") if key in prop}
    inside = {key: value for key, value in prop.items() if key not in outside}
    return {**outside, "anyOf": [inside, {"type": "null"}]}
