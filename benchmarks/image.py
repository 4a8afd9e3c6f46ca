"""Estimate the size of the baked images' Python layers, against the course's image.

There is no container engine here, so each image's venv is rebuilt from the
baked Dockerfile's own steps (tests/dockerfile.py, as the tests do) and its
disk use measured. The image is that venv plus the base image and the copied
code; the base (python:3.X-slim) is added as a stated figure, since it cannot
be pulled here. The baseline is the course's reference image, 879 MB.

Usage: python benchmarks/image.py [--python-version 3.12] [--target api]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from cookiecutter.main import cookiecutter

TEMPLATE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TEMPLATE_DIR / "tests"))

from dockerfile import EnginelessImage, parse  # noqa: E402
from hook_modules import post_gen  # noqa: E402

COURSE_IMAGE_MB = 879
TARGET_MB = 450
# python:3.12-slim (Debian trixie), uncompressed, as `docker image ls` shows it.
SLIM_BASE_MB = 125
MB = 1_000_000
TARGETS = ("api", "training")


def measure(python_version: str, targets: list[str], scratch: Path) -> dict[str, int]:
    """Bake the defaults, rebuild each image's venv, return their sizes in bytes."""
    python = post_gen.find_python(python_version, shutil.which("uv"))
    if python is None:
        raise SystemExit(f"Python {python_version} is not on this machine")
    project = Path(
        cookiecutter(
            str(TEMPLATE_DIR),
            no_input=True,
            output_dir=str(scratch),
            extra_context={
                "python_version": python_version,
                "init_git": False,
                "create_venv": False,
            },
        )
    )
    stages = parse(project / "Dockerfile")
    sizes = {}
    for target in targets:
        image = EnginelessImage(stages, target, project, scratch / target, python)
        image.build()
        sizes[target] = image.size_in_bytes()
    return sizes


def main(argv: list[str] | None = None) -> int:
    """Print each image's estimated size and its ratio to the course's image."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python-version", default="3.12")
    parser.add_argument(
        "--target", choices=TARGETS, help="one image only (default: both)"
    )
    args = parser.parse_args(argv)
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"Load average at start: {load}", flush=True)
    targets = [args.target] if args.target else list(TARGETS)
    with tempfile.TemporaryDirectory(prefix="image-benchmark-") as name:
        sizes = measure(args.python_version, targets, Path(name))
    base, course = f"+ base ({SLIM_BASE_MB} MB)", f"vs course's {COURSE_IMAGE_MB} MB"
    print(f"| Image | venv + code | {base} | {course} |")
    print("|---|---|---|---|")
    for target, size in sizes.items():
        total = size / MB + SLIM_BASE_MB
        print(
            f"| {target} | {size / MB:.0f} MB | {total:.0f} MB | "
            f"{COURSE_IMAGE_MB / total:.2f}x smaller |"
        )
    if "api" in sizes:
        api_total = sizes["api"] / MB + SLIM_BASE_MB
        verdict = "meets" if api_total < TARGET_MB else "misses"
        print(f"API image {api_total:.0f} MB {verdict} the {TARGET_MB} MB target.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
