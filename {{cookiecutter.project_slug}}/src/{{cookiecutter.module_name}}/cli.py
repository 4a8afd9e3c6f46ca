"""The project's command line: one subcommand per job, options from the settings.

Every option of a command is a field of its settings class: `--data-uri` is
DATA_URI, read from the flag, else the environment, else `.env`. A known
failure is one error line and an exit code (errors.py), never a traceback.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    CliApp,
    CliPositionalArg,
    CliSubCommand,
    SettingsConfigDict,
    get_subcommand,
)

from {{ cookiecutter.module_name }}.config import ProjectSettings, ScoreSettings
from {{ cookiecutter.module_name }}.errors import (
    EXIT_ALERT,
    EXIT_INVALID_INPUT,
    EXIT_OK,
    CommandError,
    configure_logging,
    describe_errors,
    interrupted_exit_code,
    stopped_cleanly_by_sigterm,
)
from {{ cookiecutter.module_name }}.monitoring.settings import MonitoringSettings
{%- if cookiecutter.spark %}
from {{ cookiecutter.module_name }}.spark.settings import (
    PrepareCommand,
    SparkScoreCommand,
)
{%- endif %}
from {{ cookiecutter.module_name }}.training.settings import TrainSettings

logger = logging.getLogger("{{ cookiecutter.module_name }}")


class DataCommand(ProjectSettings):
    """Read data at one place, write it at another."""

    source: CliPositionalArg[str] = Field(
        description="Where to read: a local path, an https:// URL or an s3:// URI."
    )
    target: CliPositionalArg[str] = Field(
        description="Where to write: a local path or an s3:// URI."
    )


class ConvertCommand(DataCommand):
    """Rewrite a CSV (or any readable data) as one zstd-compressed Parquet file."""


class PartitionCommand(DataCommand):
    """Write a dataset partitioned in key=value folders, into a new or empty one."""

    by: list[str] = Field(
        min_length=1,
        description="Partition column, any case (region finds Region); repeat to "
        "nest.",
    )


class UploadCommand(DataCommand):
    """Copy a local file or folder to s3://bucket/key (ending in / keeps the name)."""


class DownloadCommand(DataCommand):
    """Copy an s3:// file or folder to a local file, or into a local folder."""


class DataCommands(BaseModel):
    """Prepare data at scale: Parquet, partitions, S3 transfers."""

    convert: CliSubCommand[ConvertCommand]
    partition: CliSubCommand[PartitionCommand]
    upload: CliSubCommand[UploadCommand]
    download: CliSubCommand[DownloadCommand]


def declaration_path() -> Path:
    """The package's dataset.py, found without importing it: it may be broken."""
    spec = importlib.util.find_spec(f"{__package__}.dataset")
    if spec is None or spec.origin is None:
        raise CommandError("cannot find the package's dataset.py: pass --output")
    return Path(spec.origin)


class InferCommand(ProjectSettings):
    """Write dataset.py from a data file: kinds, classes, bounds, for you to review."""

    data: CliPositionalArg[str] = Field(
        description="CSV or Parquet file, or a folder of Parquet files: a local "
        "path, an https:// URL or an s3:// URI."
    )
    target: str = Field(description="The column to predict, as the file names it.")
    id: str | None = Field(
        default=None, description="The column identifying each row, if there is one."
    )
    output: Path = Field(
        default_factory=declaration_path,
        description="Where to write: the package's dataset.py by default.",
    )
    force: bool = Field(default=False, description="Replace an existing file.")


class SyntheticCommand(ProjectSettings):
    """Write made-up rows that follow dataset.py, to try the chain before real data."""

    output: CliPositionalArg[str] = Field(
        description="A .csv or .parquet file, local (or s3:// for Parquet)."
    )
    rows: int = Field(default=1_000, ge=1, description="How many rows to write.")
    seed: int = Field(default=0, description="Seed of the draws: same seed, same rows.")


class DatasetCommands(BaseModel):
    """Declare your own data: guess dataset.py from a file, or write sample rows."""

    infer: CliSubCommand[InferCommand]
    synthetic: CliSubCommand[SyntheticCommand]


class MonitorCommands(BaseModel):
    """Watch the served model: drift of its inputs and answers, its accuracy."""

    report: CliSubCommand[MonitoringSettings]


{%- if cookiecutter.spark %}


class SparkCommands(BaseModel):
    """Prepare and score data past one machine, on Spark: local[*] or a cluster."""

    prepare: CliSubCommand[PrepareCommand]
    score: CliSubCommand[SparkScoreCommand]
{%- endif %}


class GridCommand(TrainSettings):
    """Print the grid's points as a JSON list, one training each (Argo fan-out)."""


PROGRAM = "{{ cookiecutter.project_slug }}"


class Commands(BaseSettings):
    """Train, score, prepare data and monitor this project's model."""

    model_config = SettingsConfigDict(
        cli_prog_name=PROGRAM,
        cli_kebab_case=True,
        cli_implicit_flags=True,
        cli_use_class_docs_for_groups=True,
    )

    train: CliSubCommand[TrainSettings]
    grid: CliSubCommand[GridCommand]
    score: CliSubCommand[ScoreSettings]
    data: CliSubCommand[DataCommands]
    dataset: CliSubCommand[DatasetCommands]
    monitor: CliSubCommand[MonitorCommands]
{%- if cookiecutter.spark %}
    spark: CliSubCommand[SparkCommands]
{%- endif %}


# Location parts of a validation error that name commands, not settings.
COMMAND_NAMES = frozenset(
    [
        *Commands.model_fields,
        *DataCommands.model_fields,
        *DatasetCommands.model_fields,
        *MonitorCommands.model_fields,
{%- if cookiecutter.spark %}
        *SparkCommands.model_fields,
{%- endif %}
    ]
)


def chosen_command(commands: BaseModel) -> tuple[str, ProjectSettings]:
    """Follow the subcommands the arguments chose down to the job to run.

    A group named without one of its commands (`data` alone, or nothing at
    all) is refused with the commands it offers, as git does.
    """
    words: list[str] = []
    # Every subcommand is a model (no pydantic dataclass): None ends the walk.
    while isinstance(chosen := get_subcommand(commands, is_required=False), BaseModel):
        words.append(
            next(
                field
                for field in type(commands).model_fields
                if getattr(commands, field) is chosen
            )
        )
        commands = chosen
    if not isinstance(commands, ProjectSettings):
        line = " ".join([PROGRAM, *words])
        choices = ", ".join(type(commands).model_fields)
        raise CommandError(
            f"{line} needs a command: {choices}; add --help to see what each does"
        )
    return words[-1], commands


def run(command: ProjectSettings) -> int:
    """Hand the command's settings to its job; most jobs import heavy libraries."""
    if isinstance(command, GridCommand):
        return print_grid(command)
{%- if cookiecutter.spark %}
    if isinstance(command, PrepareCommand | SparkScoreCommand):
        return run_spark_command(command)
{%- endif %}
    if isinstance(command, TrainSettings):
        from {{ cookiecutter.module_name }}.training.train import log_result, train

        log_result(train(command))
        return EXIT_OK
    if isinstance(command, ScoreSettings):
        from {{ cookiecutter.module_name }}.scoring import score_file

        score_file(command)
        return EXIT_OK
    if isinstance(command, MonitoringSettings):
        from {{ cookiecutter.module_name }}.monitoring.job import run_report

        return EXIT_ALERT if run_report(command).alerts else EXIT_OK
    if isinstance(command, DataCommand):
        return run_data_command(command)
    if isinstance(command, InferCommand):
        return infer_declaration(command)
    if isinstance(command, SyntheticCommand):
        from {{ cookiecutter.module_name }}.data.synthetic import (
            write_synthetic_rows,
        )

        write_synthetic_rows(command.output, command.rows, command.seed)
        return EXIT_OK
    raise TypeError(f"no job runs {type(command).__name__}")


def run_data_command(command: DataCommand) -> int:
    """Convert, partition or copy; each job logs what it wrote and where."""
    from {{ cookiecutter.module_name }}.data.parquet import convert, partition
    from {{ cookiecutter.module_name }}.data.storage import copy

    if isinstance(command, PartitionCommand):
        partition(command.source, command.target, command.by)
    elif isinstance(command, ConvertCommand):
        convert(command.source, command.target)
    else:
        require_direction(command)
        copy(command.source, command.target)
    return EXIT_OK


{%- if cookiecutter.spark %}


def run_spark_command(command: PrepareCommand | SparkScoreCommand) -> int:
    """Prepare or score on Spark; pyspark is imported only for these commands."""
    if isinstance(command, PrepareCommand):
        from {{ cookiecutter.module_name }}.spark.prepare import prepare

        prepare(command)
    else:
        from {{ cookiecutter.module_name }}.spark.score import score_on_spark

        score_on_spark(command)
    return EXIT_OK
{%- endif %}


def infer_declaration(command: InferCommand) -> int:
    """Guess the declaration from the data, write it, and say what to review.

    The classes must be large enough for the default split and folds
    (TEST_SIZE, CV_FOLDS), which training checks again with its own settings.
    """
    from {{ cookiecutter.module_name }}.data.declaration_file import (
        render,
        write_declaration,
    )
    from {{ cookiecutter.module_name }}.data.infer import (
        infer_dataset,
        summary_lines,
    )
    from {{ cookiecutter.module_name }}.training.settings import (
        rows_needed_per_class,
    )

    fields = TrainSettings.model_fields
    needed = rows_needed_per_class(
        fields["test_size"].default, fields["cv_folds"].default
    )
    inferred = infer_dataset(command.data, command.target, command.id, needed)
    text = render(inferred, command.data)
    write_declaration(text, command.output, force=command.force)
    for line in summary_lines(inferred, command.output):
        logger.info("%s", line)
    return EXIT_OK


def require_direction(command: DataCommand) -> None:
    """Keep upload and download one-way, as their names promise."""
    upload = isinstance(command, UploadCommand)
    ends = (
        ("source", command.source, not upload),
        ("destination", command.target, upload),
    )
    for role, uri, on_s3 in ends:
        if uri.lower().startswith("s3://") != on_s3:
            kind = "an s3://bucket/key URI" if on_s3 else "a local path"
            raise CommandError(f"the {role} must be {kind}, got {uri!r}")


def print_grid(settings: TrainSettings) -> int:
    """Print every point of the search grid, for a workflow to train each apart."""
    import json

    from sklearn.model_selection import ParameterGrid

    print(json.dumps(list(ParameterGrid(settings.search_grid))))
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, run the job, and turn failures into one line."""
    configure_logging("INFO")
    arguments = sys.argv[1:] if argv is None else argv
    try:
        name, command = chosen_command(
            CliApp.run(Commands, cli_args=arguments, cli_show_env_vars=True)
        )
    except ValidationError as error:
        logger.error("Invalid configuration: %s", describe_errors(error, COMMAND_NAMES))
        return EXIT_INVALID_INPUT
    except CommandError as error:
        logger.error("%s", error)
        return error.exit_code
    configure_logging(command.log_level)
    try:
        with stopped_cleanly_by_sigterm():
            return run(command)
    except CommandError as error:
        logger.error("%s failed: %s", name.capitalize(), error)
        return error.exit_code
    except KeyboardInterrupt as error:
        logger.error("%s interrupted: stopped before the end", name.capitalize())
        return interrupted_exit_code(error)
