"""The Spark benchmark runs end to end on a few rows, and both paths agree."""

import os
import shutil

import pytest

from benchmarks import spark as spark_benchmark

pytestmark = pytest.mark.usefixtures("isolated_settings")


def test_spark_benchmark_runs_and_both_paths_agree(capsys) -> None:
    """Exit code 0: same rows per class prepared, same scores; ratios printed."""
    if not os.environ.get("JAVA_HOME") and shutil.which("java") is None:
        pytest.skip("Spark needs Java 17 or newer, and no java is installed here")
    assert spark_benchmark.main(["--rows", "2000"]) == 0
    report = capsys.readouterr().out
    assert report.startswith("Load average at start: ")
    assert "spark prepare (local Spark) / data partition (DuckDB): time x" in report
    assert "spark score (local Spark) / score (pandas): time x" in report
