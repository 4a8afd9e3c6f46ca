"""Set the image tag and version label of kustomization files, for the release job.

Usage: python deployment/set_image_tag.py v1.2.3 FILE [FILE ...]

Every `newTag:` line of each file (one per `images:` entry, at least one) and its
`app.kubernetes.io/version:` line, if any, get the version: one release tags the
API and the training image alike. Lines are
rewritten in place rather than through a YAML round trip, so comments and layout
survive, and nothing is written unless every file can be updated.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

SEMVER = re.compile(r"\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]+)?")
NEW_TAG = re.compile(r"^(\s*newTag:[ \t]*).*$", re.MULTILINE)
VERSION_LABEL = re.compile(r"^(\s*app\.kubernetes\.io/version:[ \t]*).*$", re.MULTILINE)


def set_tag(text: str, version: str) -> str:
    """Return the kustomization text with its image tag and version label set."""
    quoted = f'"{version}"'
    text, count = NEW_TAG.subn(lambda match: match.group(1) + quoted, text)
    if count == 0:
        raise ValueError("no newTag line")
    return VERSION_LABEL.sub(lambda match: match.group(1) + quoted, text)


def main(argv: list[str]) -> int:
    """Rewrite every file given after the version; write none on any error."""
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    version = argv[0].removeprefix("v")
    if not SEMVER.fullmatch(version):
        print(f"error: {argv[0]!r} is not a version such as v1.2.3", file=sys.stderr)
        return 2
    try:
        updated = {
            path: set_tag(path.read_text(), version) for path in map(Path, argv[1:])
        }
    except (OSError, ValueError) as error:
        print(f"error: cannot set the image tag: {error}", file=sys.stderr)
        return 1
    for path, text in updated.items():
        path.write_text(text)
        print(f"{path}: image tag {version}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
