"""The built wheel works on its own: installed into a fresh venv and run from another folder, it finds its rules,
taxonomy, schemas and templates inside the package and audits the seeds.

The fresh venv gets the wheel without dependencies; the dependencies come from this venv's site-packages on
PYTHONPATH (a plain path entry: no .pth files run, so this checkout's editable install is not seen).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from tests.conftest import REPO

SEEDS = REPO.parent / "shared" / "seeds"


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv with only the wheel built from this checkout; returns its python."""
    work = tmp_path_factory.mktemp("wheel")
    # setuptools builds in the source tree (build/, *.egg-info): build a copy, so the checkout stays clean.
    source = work / "source"
    shutil.copytree(REPO, source, symlinks=True, ignore=shutil.ignore_patterns(
        ".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", "reports", "out", "test-artifacts", ".pytest_cache"))
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(work / "dist"), str(source)],
                           capture_output=True, text=True)
    if built.returncode != 0:
        pytest.fail(f"building the wheel failed:\n{built.stderr[-2000:]}")
    wheel = next((work / "dist").glob("auditor-*.whl"))
    venv.create(work / "venv", with_pip=True)
    python = work / "venv" / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], check=True)
    return python


def _run(python: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": sysconfig.get_paths()["purelib"], "PATH": "/usr/bin:/bin", "HOME": str(cwd)}
    return subprocess.run([str(python), *args], cwd=cwd, env=env, capture_output=True, text=True)


def test_the_wheel_carries_rules_cases_schemas_and_templates(installed, tmp_path):
    where = _run(installed, "-c", "import auditor, pathlib; print(pathlib.Path(auditor.__file__).parent)", cwd=tmp_path)
    package = Path(where.stdout.strip())
    assert str(package).startswith(str(installed.parent.parent)), f"imported {package}, not the installed wheel"
    shipped = {path.relative_to(package).as_posix() for path in package.rglob("*") if path.is_file()}
    for needed in ("default_rules/default.yaml", "default_rules/taxonomy.yaml", "default_rules/cases/category-fits-text.yaml",
                   "schemas/cases.schema.json", "data/generic_words.yaml", "report/templates/report.html.j2"):
        assert needed in shipped, f"{needed} is missing from the wheel"
    listed = _run(installed, "-m", "auditor.cli", "rules", "explain", "category-fits-text", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "Examples" in listed.stdout


def test_the_installed_wheel_audits_the_seeds_from_another_folder(installed, tmp_path):
    if not SEEDS.is_dir():
        pytest.skip("../shared/seeds is not here")
    out = tmp_path / "out"
    run = _run(installed, "-m", "auditor.cli", "audit", str(SEEDS), "--out", str(out), "--fail-on", "never", "-q", cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["summary"]["rows"] >= 2
    seed = [f for f in results["findings"] if f["row_id"].startswith("001_") and f["rule"] == "category-fits-text"]
    assert seed and seed[0]["suggestion"] == "Politik"
    assert (out / "report.html").stat().st_size > 10_000
