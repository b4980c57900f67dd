"""Property-based fuzzing of the whole audit (issue 16): generated hostile files for every
input format and the rules file go through the real CLI, which must keep the contract:
exit 2 with one clear line, or results listing every row written; never a traceback, an
internal error or a hang. The generators are in tests/fuzzing.py.

CI runs a few derandomized examples per format (seconds); ``-m slow`` runs 300 per format;
``benchmarks/fuzz_inputs.py`` runs 10,000 and counts the outcomes.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from tests.fuzzing import KINDS, problems, run_case


def check(case) -> None:
    with tempfile.TemporaryDirectory(prefix="auditor-fuzz-") as folder, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outcome = run_case(case, Path(folder), timeout=60)
    assert problems(case, outcome) == [], (case.kind, case.name, case.notes, outcome.stderr)


def fuzz(kind: str, examples: int, derandomize: bool):
    return settings(max_examples=examples, derandomize=derandomize, deadline=None, database=None,
                    phases=[Phase.explicit, Phase.generate, Phase.shrink] if not derandomize else [Phase.generate],
                    suppress_health_check=list(HealthCheck))(given(KINDS[kind])(check))


@pytest.mark.parametrize("kind", list(KINDS))
def test_hostile_files_keep_the_contract(kind):
    fuzz(kind, examples=4, derandomize=True)()


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(KINDS))
def test_hostile_files_keep_the_contract_long_run(kind):
    fuzz(kind, examples=300, derandomize=False)()
