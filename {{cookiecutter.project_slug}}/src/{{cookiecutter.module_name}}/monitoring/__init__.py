"""Drift monitoring: the reference profile, drift statistics, the report, alerts."""
