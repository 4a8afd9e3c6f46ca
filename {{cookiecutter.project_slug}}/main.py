"""The course's main script: train the model, as the command line's train does.

    python main.py --data-uri data/raw/titanic.csv

Every option of the train command works here too: `python main.py --help`.
"""

import sys

from {{ cookiecutter.module_name }}.cli import main as run_command


def main(argv: list[str] | None = None) -> int:
    """Run the training command with these arguments (the script's by default)."""
    return run_command(["train", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    raise SystemExit(main())
