"""Naming the policies compared: each scenario's title and description, the settings on which it
differs from the baseline in plain words, and a warning when a scenario file reuses another
file's name or title."""
from __future__ import annotations

from pathlib import Path

import yaml

from sim.scenario.loading import SCENARIO_FOLDERS
from sim.scenario.reference import model_of
from sim.scenario.schema import Scenario

# Fields that name a scenario or size its run rather than set its policy.
NAMING = ("name", "title", "description", "seed", "replications")


def flatten(data, prefix: str = "") -> dict[str, str]:
    """Leaf settings of a scenario as 'dotted.key' -> readable text."""
    if isinstance(data, dict):
        flat = {}
        for key, value in data.items():
            flat.update(flatten(value, f"{prefix}{key}."))
        return flat or {prefix[:-1]: "none"}
    if isinstance(data, list):
        if all(isinstance(item, dict) for item in data) and data:
            return {prefix[:-1]: "; ".join(", ".join(f"{k}: {v}" for k, v in flatten(item).items()) for item in data)}
        return {prefix[:-1]: ", ".join(map(str, data)) if data else "none"}
    if data is None:
        return {prefix[:-1]: "none"}
    if isinstance(data, int) and prefix.endswith("seed."):  # an identifier, not a quantity
        return {prefix[:-1]: str(data)}
    if isinstance(data, (int, float)) and not isinstance(data, bool):
        return {prefix[:-1]: f"{data:,.0f}" if float(data).is_integer() else f"{data:,}"}
    return {prefix[:-1]: str(data)}


def settings(scenario: dict) -> dict[str, str]:
    """A scenario's policy settings: every leaf but its naming fields, and each dated change's
    settings as 'key from YYYY-MM'."""
    flat = {k: v for k, v in flatten({k: v for k, v in scenario.items() if k != "changes"}).items()
            if k.split(".")[0] not in NAMING}
    for change in scenario.get("changes") or []:
        for key, value in (change.get("set") or {}).items():
            flat[f"{key} from {change.get('date')}"] = next(iter(flatten(value).values()))
    return flat


def changed_settings(baseline: dict, other: dict) -> list[tuple[str, str, str]]:
    """(key, baseline's value, other's value) for each setting on which two scenarios differ."""
    ours, theirs = settings(baseline), settings(other)
    keys = list(dict.fromkeys([*ours, *theirs]))
    return [(k, ours.get(k, "not set"), theirs.get(k, "not set")) for k in keys if ours.get(k) != theirs.get(k)]


def meaning(key: str) -> str:
    """The plain-words meaning of a dotted setting from the schema ('Smallest network that is
    paid.'), or the key itself in words when the schema has none."""
    model, words, described = Scenario, [], ""
    for part in key.split(" from ")[0].split("."):
        field = model.model_fields.get(part) if model is not None else None
        if field is None:
            words.append(part)  # an organisation kind's name, say
            continue
        model = model_of(field.annotation)
        described = field.description or ""
    text = described if model is None and described else ""
    return text.rstrip(".") or " ".join(words).replace("_", " ")


def plain_change(key: str, before: str, after: str) -> str:
    """One changed setting in words: 'PCN band › min patients (smallest network that is paid):
    30,000 → 50,000'."""
    name, _, when = key.partition(" from ")
    parts = name.split(".")
    if parts[0] == "organisations" and len(parts) > 2:
        parts = [parts[1].upper() if len(parts[1]) <= 4 else parts[1], *parts[2:]]
    label = " › ".join(parts).replace("_", " ")
    described = meaning(key)
    if described.lower() != label.lower():
        label += f" ({described[0].lower()}{described[1:]})"
    return f"{label}{f', from {when}' if when else ''}: {before} → {after}"


def duplicate_warnings(source: str | Path | None) -> list[str]:
    """Warnings when a scenario file's `name` or `title` is also that of another scenario file in
    its folder or among the shipped scenarios, with different content: its results would go
    under the other's name and be labelled as it throughout."""
    if source is None or not Path(source).is_file():
        return []
    path = Path(source).resolve()
    ours = _naming(path)
    if not ours:
        return []
    others = sorted({p.resolve() for folder in (path.parent, *SCENARIO_FOLDERS) if folder.is_dir()
                     for p in folder.glob("*.yaml")} - {path})
    warnings, warned = [], set()
    for other in others:
        theirs = _naming(other)
        for field in ("name", "title"):
            if (field not in warned and ours.get(field) and ours.get(field) == theirs.get(field)
                    and other.read_bytes() != path.read_bytes()):
                warned.add(field)  # one line a field is enough, however many files share it
                warnings.append(f"{source}: {field}: '{ours[field]}' is also the {field} of {other}, which differs; "
                                f"give this scenario its own name and title so its results are not mistaken for that one's")
    return warnings


def _naming(path: Path) -> dict:
    """A scenario file's own name and title, if it sets them (not inherited through extends)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    return {k: data.get(k) for k in ("name", "title") if isinstance(data, dict) and isinstance(data.get(k), str)}
