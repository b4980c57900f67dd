"""The audit on Spark: the same rules, through Great Expectations' Spark engine.

``auditor audit … --engine spark`` has Spark read and map the inputs
(:mod:`auditor.spark.read`), works out the auditor's per-row checks and the batch checks'
per-row features once per partition (:mod:`auditor.spark.row_checks`, ``mapInPandas`` over
:func:`auditor.partitions.check_partition`) into cached columns, finds the story groups on
Spark from their features (:mod:`auditor.spark.stories`; only the kept pairs reach the
driver), judges label consistency on the driver from its gathered features, and lets GX's
``SparkDFExecutionEngine`` validate the suite (:mod:`auditor.spark.validate`); results, findings and report are those of a pandas
run. At most ``--max-findings`` per-row check details reach the driver; Spark makes the
findings of the rest itself, and the driver reads them back without their bulky details to
count them (:mod:`auditor.spark.beyond`).

pyspark is an optional extra: nothing here imports it before :func:`require_pyspark` said it
is there.
"""

from __future__ import annotations

import importlib.util
import shutil

from auditor.errors import AuditorError

INSTALL_HINT = "pip install -c constraints.txt 'auditor[spark]' (pyspark) and a Java runtime (e.g. apt-get install default-jre-headless)"


def require_pyspark() -> None:
    """One line and exit 2 when the Spark engine cannot run here."""
    if importlib.util.find_spec("pyspark") is None:
        raise AuditorError(f"--engine spark needs pyspark, which is not installed: {INSTALL_HINT}")
    if shutil.which("java") is None and not _java_home():
        raise AuditorError(f"--engine spark needs a Java runtime, and none was found (no 'java' on PATH, no JAVA_HOME): {INSTALL_HINT}")


def _java_home() -> bool:
    import os

    home = os.environ.get("JAVA_HOME")
    return bool(home) and os.path.exists(os.path.join(home, "bin", "java"))
