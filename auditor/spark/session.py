"""The Spark session an audit runs in."""

from __future__ import annotations

import os
import sys

DEFAULT_MASTER = "local[*]"


def spark_session(master: str | None = None):
    """The active session if there is one (a test's, a ``spark-submit``'s), else a new one on
    ``master``. Python workers are this interpreter (the venv's, where the auditor is), and a
    local session stays on loopback."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    session = (
        SparkSession.builder.master(master or DEFAULT_MASTER)
        .appName("auditor")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        # The batch's text columns travel to the Python workers in Arrow batches of this many rows.
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "5000")
        .config("spark.sql.shuffle.partitions", "8")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session
