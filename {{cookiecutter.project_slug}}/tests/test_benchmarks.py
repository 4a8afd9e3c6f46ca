"""The benchmarks run end to end on a few rows, and check what they compare."""

import logging

import pytest

from benchmarks import data as data_benchmark
from benchmarks import monitoring as monitoring_benchmark
from benchmarks import scoring as scoring_benchmark

pytestmark = pytest.mark.usefixtures("isolated_settings")


def test_data_benchmark_methods_agree(caplog) -> None:
    """CSV with pandas and Parquet with DuckDB answer the same query alike."""
    caplog.set_level(logging.INFO, logger="benchmarks.data")
    assert data_benchmark.main(["--rows", "3000"]) == 0
    assert "All three methods agree on " in caplog.text
    assert "3,000 rows; the query: SELECT " in caplog.text


def test_scoring_benchmark_streams_what_the_whole_file_gives(capsys) -> None:
    """Several batches, the baseline, the ratios, and the outputs compared."""
    argv = ["--rows", "3000", "--batch-rows", "1000", "--without-spark"]
    assert scoring_benchmark.main(argv) == 0
    report = capsys.readouterr().out
    assert report.startswith("Load average at start: ")
    assert "3,000 rows, streamed output identical to the whole file's: yes" in report
    assert "3,000 rows, streamed / whole file: time x" in report
    assert "score's peak at 3,000 rows: " in report


def test_monitoring_benchmark_reports_the_drift_it_planted(capsys) -> None:
    """Both reports raise the drift alert (the benchmark checks it) and print times."""
    monitoring_benchmark.main(["--rows", "2000"])
    report = capsys.readouterr().out
    assert "2,000 logged predictions" in report
    assert "drift + feedback (10 %)" in report
