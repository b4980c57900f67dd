"""Read a YAML file, validate it against a JSON schema, and point errors at a line.

Rules and taxonomies are data written by people; a mistake must come back as one
line naming the file, the line and what is wrong.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Sequence

import jsonschema
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from auditor.errors import RulesError


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
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RulesError(f"{file}: no such file; pass an existing rules file or folder with --rules") from None
    except UnicodeDecodeError as error:
        raise RulesError(f"{file}: not UTF-8 (byte {error.start}); save the file as UTF-8") from None
    except OSError as error:
        raise RulesError(f"{file}: cannot be read ({error.strerror})") from None
    try:
        document = YAML(typ="rt").load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = f":{mark.line + 1}" if mark else ""
        raise RulesError(f"{file}{line}: not valid YAML: {error.problem or error.context}") from None
    except YAMLError as error:
        raise RulesError(f"{file}: not valid YAML: {error}") from None
    if document is None:
        raise RulesError(f"{file}: the file is empty")
    validator = jsonschema.Draft202012Validator(_schema(schema_name))
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is not None:
        path = list(error.absolute_path)
        subject = _describe_path(path)
        raise RulesError(f"{where(file, document, path)}: {subject + ': ' if subject else ''}{_plain(error)}")
    return document


def _plain(error: jsonschema.ValidationError) -> str:
    if error.validator == "pattern" and list(error.absolute_path)[:1] == ["rules"] and error.absolute_path[-1] == "id":
        return f"{error.instance!r} is not a kebab-case id (lower-case letters, digits and '-')"
    if error.validator == "not":
        return "give either 'column' or 'columns', not both"
    return error.message
