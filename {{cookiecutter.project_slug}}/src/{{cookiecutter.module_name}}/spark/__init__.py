"""Spark jobs: the data preparation and batch scoring of one machine, on a cluster."""
