"""Read a YAML file, validate it against a JSON schema, and point errors at a line.

Rules and taxonomies are data written by people; a mistake must come back as one
line naming the file, the line and what is wrong.
"""

from __future__ import annotations

import difflib
import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Sequence

import jsonschema
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent, NodeEvent

from auditor.errors import RulesError
from auditor.limits import MAX_YAML_ALIAS_NODES, MAX_YAML_DEPTH


@lru_cache(maxsize=None)
def _schema(name: str) -> dict:
    return json.loads(resources.files("auditor.schemas").joinpath(f"{name}.schema.json").read_text("utf-8"))


def line_of(document: Any, path: Sequence[str | int]) -> int | None:
    """1-based line of the node at ``path`` in a ruamel round-trip document, or of its nearest parent."""
    node, line = document, None
    for key in path:
        try:
            if hasattr(node, "lc"):
                if isinstance(key, int) and hasattr(node.lc, "item"):
                    line = node.lc.item(key)[0] + 1
                elif hasattr(node.lc, "key") and key in node:
                    line = node.lc.key(key)[0] + 1
            node = node[key]
        except (KeyError, IndexError, TypeError):
            break
    if line is None and hasattr(document, "lc"):
        line = document.lc.line + 1
    return line


def where(file: Path, document: Any, path: Sequence[str | int]) -> str:
    line = line_of(document, path)
    return f"{file}:{line}" if line else str(file)


def _describe_path(path: Sequence[str | int]) -> str:
    text = ""
    for key in path:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else str(key))
    return text


def load_validated(file: Path, schema_name: str) -> Any:
    """Parse ``file`` and check it against ``auditor/schemas/<schema_name>.schema.json``."""
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise RulesError(f"{file}: no such file; pass an existing rules file or folder with --rules") from None
    except OSError as error:
        raise RulesError(f"{file}: cannot be read ({error.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise RulesError(f"{file}:{line}: not UTF-8 (byte {error.start}); save the file as UTF-8") from None
    try:
        _check_size(file, text)
        document = YAML(typ="rt").load(text)
    except MarkedYAMLError as error:
        raise RulesError(_yaml_error(file, error)) from None
    except YAMLError as error:
        raise RulesError(f"{file}: not valid YAML: {_one_line(str(error))}") from None
    except ValueError as error:  # a scalar ruamel cannot convert: an integer of 5,000 digits, a 13th month
        raise RulesError(f"{file}: a value cannot be read ({_one_line(str(error))[:160]}); quote it to make it a text") from None
    required = _schema(schema_name).get("required", [])
    if document is None:
        needs = f"; it needs a top-level '{required[0]}:' list" if required else ""
        raise RulesError(f"{file}:1: the file is empty{needs}")
    validator = jsonschema.Draft202012Validator(_schema(schema_name))
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is not None:
        path, message = _explain(error, document, schema_name)
        raise RulesError(f"{where(file, document, path)}: {message}")
    return document


def _check_size(file: Path, text: str) -> None:
    """Refuse, from the parser's events and before anything is built, a document nested
    deeper than MAX_YAML_DEPTH (ruamel builds nodes recursively) or whose aliases expand to
    more than MAX_YAML_ALIAS_NODES nodes: a "billion laughs" file is a few hundred bytes
    that every reader of the document (the schema check first) walks 10^9 times."""
    sizes: dict[str, int] = {}  # anchor -> nodes of its value, aliases expanded
    open_nodes: list[list] = []  # [anchor, nodes so far] of each collection being read
    added = 0
    for event in YAML(typ="rt").parse(text):
        if isinstance(event, AliasEvent):
            nodes = sizes.get(event.anchor, 1)
            added += nodes
            if added > MAX_YAML_ALIAS_NODES:
                raise RulesError(f"{file}:{event.start_mark.line + 1}: its aliases (*{event.anchor}) expand to more than "
                                 f"{MAX_YAML_ALIAS_NODES:,} values; write the values out or use fewer aliases")
        elif isinstance(event, CollectionStartEvent):
            open_nodes.append([event.anchor, 1])
            if len(open_nodes) > MAX_YAML_DEPTH:
                raise RulesError(f"{file}:{event.start_mark.line + 1}: nested more than {MAX_YAML_DEPTH} levels deep; "
                                 "flatten the file")
            continue
        elif isinstance(event, CollectionEndEvent):
            anchor, nodes = open_nodes.pop()
        elif isinstance(event, NodeEvent):  # a scalar
            anchor, nodes = event.anchor, 1
        else:
            continue
        if isinstance(event, AliasEvent):
            anchor = None
        elif anchor is not None:
            sizes[anchor] = nodes
        if open_nodes:
            open_nodes[-1][1] += nodes


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _short(value: Any, limit: int = 60) -> str:
    """``repr`` of a value from the file, cut so that the message stays one short line."""
    text = _one_line(repr(_plain_data(value)))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plain_data(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain_data(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain_data(item) for item in value]
    return value


def _yaml_error(file: Path, error: MarkedYAMLError) -> str:
    mark = error.problem_mark or error.context_mark
    line = f":{mark.line + 1}" if mark else ""
    problem = _one_line(error.problem or error.context or "syntax error")
    if error.context and error.context_mark and mark and error.context_mark.line != mark.line:
        problem += f" ({_one_line(error.context)} on line {error.context_mark.line + 1})"
    if "block" in problem:
        problem += "; check the indentation of this line and the one before"
    return f"{file}{line}: not valid YAML: {problem}"


_TYPE_NAMES = {
    "object": "a mapping (key: value)", "array": "a list", "string": "a text", "number": "a number",
    "integer": "a whole number", "boolean": "true or false", "null": "nothing",
}


def _type_of(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (int, float)):
        return "number"
    return "null" if value is None else type(value).__name__


def _subject(document: Any, path: Sequence[str | int]) -> str:
    """``rule 'title-present', severity`` for a path inside a rule, else ``categories[3].id``."""
    if len(path) >= 2 and path[0] == "rules" and isinstance(path[1], int):
        try:
            rule_id = document["rules"][path[1]]["id"]
        except (KeyError, IndexError, TypeError):
            rule_id = None
        if isinstance(rule_id, str):
            rest = _describe_path(path[2:])
            return f"rule {rule_id!r}" + (f", {rest}" if rest else "")
    return _describe_path(path)


def _explain(error: jsonschema.ValidationError, document: Any, schema_name: str) -> tuple[list, str]:
    """The path whose line the message points at, and the message in plain words."""
    path = list(error.absolute_path)
    instance, validator = error.instance, error.validator
    message = _one_line(error.message)
    if validator == "required":
        missing = [key for key in error.validator_value if key not in instance]
        message = f"missing required key {missing[0]!r}" if missing else message
        if schema_name == "rules" and not path and "categories" in instance:
            message = "this is a taxonomy file, not a rules file; pass the rules file (or its folder) with --rules"
    elif validator == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        extras = [key for key in instance if key not in allowed]
        if schema_name == "rules" and not path and "categories" in instance:
            message = "this is a taxonomy file, not a rules file; pass the rules file (or its folder) with --rules"
        elif extras:
            extra = extras[0]
            path = [*path, extra]
            close = difflib.get_close_matches(str(extra), allowed, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}?" if close else f"allowed keys: {', '.join(allowed)}"
            message = f"unknown key {extra!r}; {hint}"
    elif validator == "enum":
        message = f"{_short(instance)} is not allowed; use one of: {', '.join(str(v) for v in error.validator_value)}"
    elif validator == "type":
        expected = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        wanted = " or ".join(_TYPE_NAMES.get(kind, kind) for kind in expected)
        message = f"expected {wanted}, got {_TYPE_NAMES.get(_type_of(instance), _type_of(instance))} ({_short(instance)})"
    elif validator == "pattern":
        key = path[-1] if path else None
        if key == "id" and path[:1] == ["rules"]:
            return path, f"rule id {_short(instance)} is not kebab-case (lower-case letters, digits and '-', e.g. 'title-present')"
        if key == "id" and path[:1] == ["categories"]:
            return path, f"category id {_short(instance)} is not valid (lower-case letters, digits and '_', e.g. 'toetung')"
        if key == "expectation":
            message = f"{_short(instance)} is not an expectation name (snake_case, starting with 'expect_', e.g. 'expect_column_values_to_not_be_null')"
    elif validator == "not" and path[:1] == ["rules"]:
        keys = [key for key in ("column", "columns") if key in instance]
        if keys and hasattr(instance, "lc"):
            path = [*path, max(keys, key=lambda key: instance.lc.key(key)[0])]
        message = "give either 'column' or 'columns', not both"
    elif validator in ("minItems", "minLength") and not instance:
        message = "must not be empty"
    elif path and path[-1] == "mostly":
        message = f"must be a fraction above 0 and at most 1 (e.g. 0.95), not {_short(instance)}"
    subject = _subject(document, list(error.absolute_path))
    return path, (f"{subject}: {message}" if subject else message)
