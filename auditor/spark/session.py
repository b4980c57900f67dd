"""The Spark session an audit runs in."""

from __future__ import annotations

import os
import sys

DEFAULT_MASTER = "local[*]"
LOCAL_DRIVER_MEMORY = "4g"
"""The JVM heap of a local session (a cluster's driver and executors are sized by its own conf)."""


def spark_session(master: str | None = None):
    """The active session if there is one (a test's, a ``spark-submit``'s), else a new one on
    ``master``. A local session's Python workers are this interpreter (the venv's, where the
    auditor is), and it stays on loopback."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    if (master or DEFAULT_MASTER).startswith("local"):
        os.environ["PYSPARK_PYTHON"] = sys.executable
        os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    else:
        # On a cluster the executors' Python is theirs to name (an interpreter with the
        # auditor installed at that path on every node); this one is the default.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    builder = SparkSession.builder
    if (master or DEFAULT_MASTER).startswith("local"):
        # A local session's executor is the driver's JVM, which caches the batch and receives
        # the partitions' features: Spark's 1 GB default ran out at 100k rows.
        builder = builder.config("spark.driver.memory", LOCAL_DRIVER_MEMORY)
    session = (
        builder.master(master or DEFAULT_MASTER)
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
