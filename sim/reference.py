"""The scenario reference, generated from the schema so it can never drift from the code."""
from __future__ import annotations

from typing import Any, get_args, get_origin

from pydantic import BaseModel

from .schema import Scenario


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def _rows(model: type[BaseModel], prefix: str) -> list[tuple[str, type[BaseModel], str]]:
    sections = [(prefix or "(top level)", model, prefix)]
    for name, field in model.model_fields.items():
        inner = _model_of(field.annotation)
        if inner is not None and inner is not model:
            key = f"{prefix}.{name}" if prefix else name
            if get_origin(field.annotation) is dict:
                key += ".<name>"
            elif get_origin(field.annotation) is list:
                key += ".<index>"
            sections.extend(_rows(inner, key))
    return sections


def _default(field) -> str:
    value = field.default
    if isinstance(value, BaseModel) or value in ({}, []):
        return "see below" if isinstance(value, BaseModel) else "empty"
    return "required" if field.is_required() else ("empty" if value is None else repr(value))


def markdown_reference() -> str:
    """Every scenario field as Markdown tables: key, meaning, unit, default, source."""
    out = ["# Scenario reference", "",
           "Every field a scenario YAML may set. Omitted fields take the default. Money is GBP at 2019/20 prices.",
           "Sources name a row of evidence.md or say 'assumption' with the reason.", ""]
    seen = set()
    for key, model, _ in _rows(Scenario, ""):
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
