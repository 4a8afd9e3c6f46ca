"""Set the image tag, digests and version label of kustomization files, for releases.

Usage: python deployment/set_image_tag.py v1.2.3 FILE [FILE ...]
           [--digest NAME=sha256:HEX ...]

Every `newTag:` line of each file (one per `images:` entry, at least one) and its
`app.kubernetes.io/version:` line, if any, get the version: one release tags the
API and the training image alike. With --digest, each entry also gets the digest
its build pushed, so the cluster runs exactly the image built (name:tag@digest);
then every entry needs one. Without, digests are dropped: a digest left beside a
new tag would still name the old image. Lines are rewritten in place rather than
through a YAML round trip, so comments and layout survive, and nothing is written
unless every file can be updated.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

SEMVER = re.compile(r"\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]+)?")
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
ENTRY_NAME = re.compile(r"^\s*- name:[ \t]*(\S+)")
NEW_TAG = re.compile(r"^(\s*)newTag:")
OLD_DIGEST = re.compile(r"^\s*digest:")
VERSION_LABEL = re.compile(r"^(\s*app\.kubernetes\.io/version:[ \t]*).*$")


def set_tag(text: str, version: str, digests: dict[str, str]) -> str:
    """Return the kustomization text with its tags, digests and version label set."""
    lines, name, tags = [], None, 0
    for line in text.splitlines():
        if match := ENTRY_NAME.match(line):
            name = match.group(1)
        if OLD_DIGEST.match(line):
            continue
        if match := NEW_TAG.match(line):
            tags += 1
            lines.append(f'{match.group(1)}newTag: "{version}"')
            if digests:
                if name not in digests:
                    raise ValueError(f"no --digest for image {name}")
                lines.append(f'{match.group(1)}digest: "{digests[name]}"')
            continue
        lines.append(VERSION_LABEL.sub(rf'\g<1>"{version}"', line))
    if tags == 0:
        raise ValueError("no newTag line")
    return "\n".join(lines) + "\n"


def version_of(tag: str) -> str:
    """The version a release tag names: v1.2.3 gives 1.2.3."""
    if not SEMVER.fullmatch(tag.removeprefix("v")):
        raise argparse.ArgumentTypeError(f"{tag!r} is not a version such as v1.2.3")
    return tag.removeprefix("v")


def digest_pair(pair: str) -> tuple[str, str]:
    """Read NAME=sha256:..., refusing anything that is not a digest."""
    name, _, digest = pair.partition("=")
    if not DIGEST.fullmatch(digest):
        raise argparse.ArgumentTypeError(f"{pair!r} is not NAME=sha256:<64 hex digits>")
    return name, digest


def main(argv: list[str]) -> int:
    """Rewrite every file given after the version; write none on any error."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("version", type=version_of)
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument(
        "--digest", action="append", default=[], type=digest_pair, metavar="NAME=DIGEST"
    )
    arguments = parser.parse_args(argv)
    version, digests = arguments.version, dict(arguments.digest)
    try:
        updated = {
            path: set_tag(path.read_text(), version, digests)
            for path in arguments.files
        }
    except (OSError, ValueError) as error:
        print(f"error: cannot set the image tag: {error}", file=sys.stderr)
        return 1
    for path, text in updated.items():
        path.write_text(text)
        pinned = " and digest" if digests else ""
        print(f"{path}: image tag {version}{pinned}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
