"""Command line for data files: convert, partition, upload and download.

Run it as `python -m {{ cookiecutter.module_name }}.data COMMAND ...`.
"""

from __future__ import annotations

import argparse
import logging

from {{ cookiecutter.module_name }}.data.load import DataValidationError
from {{ cookiecutter.module_name }}.data.parquet import convert, partition
from {{ cookiecutter.module_name }}.data.storage import LOCAL, S3, StorageError, copy, parse_uri
from {{ cookiecutter.module_name }}.logs import configure_logging

logger = logging.getLogger("{{ cookiecutter.module_name }}.data")

EXIT_OK = 0
EXIT_FAILED = 2
# What each end of a transfer must be, and how to say it in an error.
ENDPOINT_KINDS = {LOCAL: "a local path", S3: "an s3://bucket/key URI"}


def build_parser() -> argparse.ArgumentParser:
    """Describe the four subcommands and their arguments."""
    parser = argparse.ArgumentParser(
        prog="python -m {{ cookiecutter.module_name }}.data",
        description="Prepare data at scale: Parquet, partitions, S3 transfers.",
        epilog="s3:// URIs use AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, "
        "AWS_SESSION_TOKEN, AWS_DEFAULT_REGION and AWS_S3_ENDPOINT "
        "(environment or .env).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    converting = commands.add_parser(
        "convert", help="rewrite a CSV as one zstd-compressed Parquet file"
    )
    converting.add_argument(
        "source", metavar="SRC", help="CSV file: local path, https:// URL or s3:// URI"
    )
    converting.add_argument(
        "target", metavar="DEST", help="Parquet file to write (.parquet), or s3://"
    )
    partitioning = commands.add_parser(
        "partition", help="write a dataset partitioned in key=value folders"
    )
    partitioning.add_argument(
        "source", metavar="SRC", help="CSV or Parquet file or folder, any location"
    )
    partitioning.add_argument(
        "target", metavar="DEST_DIR", help="new or empty folder, local or s3://"
    )
    partitioning.add_argument(
        "--by",
        action="append",
        required=True,
        metavar="COLUMN",
        help="partition column, any case (pclass finds Pclass); repeat to nest",
    )
    uploading = commands.add_parser("upload", help="copy a file or folder to S3")
    uploading.add_argument("source", metavar="LOCAL", help="local file or folder")
    uploading.add_argument(
        "target", metavar="S3_URI", help="s3://bucket/key; ending in / keeps the name"
    )
    downloading = commands.add_parser("download", help="copy a file or folder from S3")
    downloading.add_argument("source", metavar="S3_URI", help="s3://bucket/key")
    downloading.add_argument(
        "target", metavar="LOCAL", help="local file, or folder to copy into"
    )
    return parser


def run(args: argparse.Namespace) -> None:
    """Do what the subcommand asks, then log what was written and where."""
    if args.command == "convert":
        summary = convert(args.source, args.target)
        logger.info(
            "Wrote %d rows (%s bytes) to %s",
            summary.rows,
            f"{summary.bytes:,}",
            summary.target,
        )
    elif args.command == "partition":
        summary = partition(args.source, args.target, args.by)
        logger.info(
            "Wrote %d rows in %d files (%s bytes) under %s, partitioned by %s",
            summary.rows,
            summary.files,
            f"{summary.bytes:,}",
            summary.target,
            ", ".join(args.by),
        )
    else:
        upload = args.command == "upload"
        _require_kind(args.source, LOCAL if upload else S3, "source")
        _require_kind(args.target, S3 if upload else LOCAL, "destination")
        moved = copy(args.source, args.target)
        logger.info(
            "Copied %d file(s) (%s bytes) to %s",
            moved.files,
            f"{moved.bytes:,}",
            moved.target,
        )


def _require_kind(uri: str, kind: str, role: str) -> None:
    """Keep upload and download one-way, as their names promise."""
    if parse_uri(uri).scheme != kind:
        raise StorageError(f"the {role} must be {ENDPOINT_KINDS[kind]}, got {uri!r}")


def main(argv: list[str] | None = None) -> int:
    """Parse the command, run it, and turn known failures into one error line."""
    args = build_parser().parse_args(argv)
    configure_logging("INFO")
    try:
        run(args)
    except (StorageError, DataValidationError) as error:
        logger.error("%s failed: %s", args.command.capitalize(), error)
        return EXIT_FAILED
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
