"""Data access: read and validate data from disk, URLs and S3; write Parquet."""
