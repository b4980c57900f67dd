"""Where the shipped defaults live: rules, taxonomy, furniture patterns and their cases.

They stay in the top-level ``rules/`` folder of the source tree, the layout users know
and edit; the package reaches them as ``auditor/default_rules`` (a link to that folder in
the source tree, a copy in a wheel), so they resolve the same in an editable install, a
regular install and a source checkout.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def default_rules_dir() -> Path:
    """The folder of the shipped rules (``rules/`` of the source tree)."""
    return Path(str(resources.files("auditor").joinpath("default_rules")))


def default_cases_dir() -> Path:
    """The executable examples of the shipped rules: ``rules/cases/<rule-id>.yaml``."""
    return default_rules_dir() / "cases"
