"""The data path reads top to bottom: text/ and batch/ hold pure analysis and never reach
up to the rules layer, the GX expectations or GX itself."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "auditor"
FORBIDDEN = ("auditor.rules", "auditor.expectations", "auditor.validate", "auditor.findings", "great_expectations")
PURE = sorted(p for folder in ("text", "batch") for p in (PACKAGE / folder).rglob("*.py"))


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", PURE, ids=[str(p.relative_to(PACKAGE)) for p in PURE])
def test_pure_modules_do_not_import_the_layers_above(path):
    bad = sorted(name for name in imported_modules(path) if name.split(".")[0] == "great_expectations"
                 or any(name == f or name.startswith(f + ".") for f in FORBIDDEN))
    assert not bad, f"{path.relative_to(PACKAGE)} imports {bad}"


def test_the_scan_sees_an_offending_import(tmp_path):
    offending = tmp_path / "bad.py"
    offending.write_text("from auditor.expectations.base import passes\nimport great_expectations as gx\n")
    assert {"auditor.expectations.base", "great_expectations"} <= imported_modules(offending)
