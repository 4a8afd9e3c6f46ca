"""Read a Dockerfile and rebuild one of its images' venvs without a container engine.

There is no Docker engine where the tests run. What can drift between the
Dockerfile and the project is which files are copied, which requirements are
installed and which command starts; so an image is "built" here by following
its stages: the builder's COPY sources are laid out in a scratch folder, its
pip steps run through uv into a fresh venv, its other shell steps run with the
venv's path mapped, and the final stage's COPY sources form the working folder
that its CMD then runs in.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

PIP_ONLY_FLAGS = ("--no-cache-dir", "--disable-pip-version-check", "--no-compile")


def uv() -> str:
    """uv beside the running interpreter, else on PATH: it replays the pip steps."""
    beside = Path(sys.executable).parent
    found = shutil.which("uv", path=f"{beside}{os.pathsep}{os.environ['PATH']}")
    if found is None:
        raise RuntimeError("uv is needed to rebuild an image's venv: pip install uv")
    return found


@dataclass
class Stage:
    """One FROM block: its name, base image and instructions (keyword, arguments)."""

    name: str
    base: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def arguments(self, keyword: str) -> list[str]:
        """Arguments of every instruction of that keyword, in order."""
        return [arguments for word, arguments in self.instructions if word == keyword]

    def exec_form(self, keyword: str) -> list[str]:
        """The JSON form of this stage's last CMD (or ENTRYPOINT)."""
        return json.loads(self.arguments(keyword)[-1])

    def env(self) -> dict[str, str]:
        """Variables its ENV instructions set, `${VAR}` left as written."""
        return dict(
            token.split("=", 1)
            for arguments in self.arguments("ENV")
            for token in shlex.split(arguments)
        )


def logical_lines(text: str) -> list[str]:
    """Join continuation lines and drop comments and blanks, as Docker does."""
    lines, current = [], ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        lines.append(current + stripped)
        current = ""
    return lines


def parse(path: Path) -> dict[str, Stage]:
    """Map stage names to stages, in order; the last one is the default target."""
    stages: dict[str, Stage] = {}
    stage = None
    for line in logical_lines(path.read_text()):
        keyword, _, arguments = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            base, *rest = arguments.split()
            name = rest[-1] if len(rest) == 2 and rest[0].upper() == "AS" else ""
            stage = stages[name or str(len(stages))] = Stage(name, base)
        elif stage is not None:
            stage.instructions.append((keyword, arguments.strip()))
    return stages


def copy_sources(arguments: str) -> tuple[list[str], str, str | None]:
    """Sources, destination and `--from` stage of a COPY instruction."""
    tokens = shlex.split(arguments)
    origin = next(
        (token.split("=", 1)[1] for token in tokens if token.startswith("--from=")),
        None,
    )
    paths = [token for token in tokens if not token.startswith("--")]
    return paths[:-1], paths[-1], origin


def copy_into(source: Path, destination: Path) -> None:
    """Copy a file or a folder, caches left out, creating parents as needed."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        shutil.copytree(
            source,
            destination,
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"),
        )
    else:
        shutil.copy2(source, destination)


def run(command: list[str], cwd: Path | None = None, stdin: str = "") -> None:
    """Run a build step; uv must use the interpreters here, never download one."""
    subprocess.run(
        command,
        cwd=cwd,
        env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"},
        input=stdin,
        text=True,
        check=True,
        capture_output=True,
    )


@dataclass
class EnginelessImage:
    """The image of one target, laid out under a scratch folder."""

    stages: dict[str, Stage]
    target: str
    project: Path
    scratch: Path
    python: str

    @property
    def stage(self) -> Stage:
        """The target stage."""
        return self.stages[self.target]

    def venv_copy(self) -> tuple[str, str]:
        """The builder stage the target copies its venv from, and the venv path."""
        for arguments in self.stage.arguments("COPY"):
            sources, _, origin = copy_sources(arguments)
            if origin is not None:
                return origin, sources[0]
        raise AssertionError(f"stage {self.target} copies no venv from a builder")

    @property
    def venv(self) -> Path:
        """Where the rebuilt venv lives."""
        return self.scratch / "venv"

    def lineage(self) -> list[Stage]:
        """The target and the stages it is built FROM, oldest first."""
        chain = [self.stage]
        while chain[0].base in self.stages:
            chain.insert(0, self.stages[chain[0].base])
        return chain

    @property
    def workdir(self) -> Path:
        """The copy of the target's working folder."""
        workdirs = [w for stage in self.lineage() for w in stage.arguments("WORKDIR")]
        return self.scratch / "root" / workdirs[-1].lstrip("/")

    def build(self) -> None:
        """Run the builder's steps, then lay out the target's own files."""
        builder_name, venv_path = self.venv_copy()
        builder = self.stages[builder_name]
        build_dir = self.scratch / "build"
        build_dir.mkdir(parents=True)
        for keyword, arguments in builder.instructions:
            if keyword == "COPY":
                sources, _, _ = copy_sources(arguments)
                for source in sources:
                    copy_into(self.project / source, build_dir / source)
            elif keyword == "RUN":
                for command in arguments.split("&&"):
                    self._run_build_step(command.strip(), venv_path, build_dir)
        for arguments in self.stage.arguments("COPY"):
            sources, target, origin = copy_sources(arguments)
            if origin is None:
                for source in sources:
                    copy_into(self.project / source, self.destination(source, target))

    def destination(self, source: str, target: str) -> Path:
        """Where COPY puts a source: a target ending in / is a folder to copy into."""
        root = self.scratch / "root" if target.startswith("/") else self.workdir
        place = root / target.lstrip("/")
        if target.endswith("/") and not (self.project / source).is_dir():
            return place / Path(source).name
        return place

    def _run_build_step(self, command: str, venv_path: str, build_dir: Path) -> None:
        """Replay one shell command of the builder, with uv in place of pip."""
        tokens = shlex.split(command)
        if tokens[:3] == ["python", "-m", "venv"]:
            run([uv(), "venv", "--quiet", "--python", self.python, str(self.venv)])
        elif tokens[:3] == ["python", "-m", "pip"]:
            self._replay_pip_install(tokens[tokens.index("install") + 1 :], build_dir)
        else:
            run(["sh", "-c", command.replace(venv_path, str(self.venv))], build_dir)

    def _replay_pip_install(self, install: list[str], build_dir: Path) -> None:
        """Install as a pip step does, with uv, then write the bytecode pip writes.

        pip compiles the files it installs unless given --no-compile. uv's own
        switch would compile the whole venv, libraries installed without
        bytecode included, so the step's new files are compiled here instead.
        """
        python = str(self.venv / "bin" / "python")
        kept = [
            token.replace("--requirement", "-r")
            for token in install
            if token not in PIP_ONLY_FLAGS
        ]
        before = set(self.venv.rglob("*.py"))
        run([uv(), "pip", "install", "--quiet", "--python", python, *kept], build_dir)
        if "--no-compile" not in install:
            installed = sorted(map(str, set(self.venv.rglob("*.py")) - before))
            compile_all = [python, "-m", "compileall", "-q", "-j", "0", "-i", "-"]
            run(compile_all, build_dir, stdin="\n".join(installed))

    def environment(self) -> dict[str, str]:
        """The image's ENV with its venv and /tmp mapped to the scratch copies."""
        _, venv_path = self.venv_copy()
        tmp = self.scratch / "tmp"
        tmp.mkdir(exist_ok=True)
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}
        for stage in self.lineage():
            for name, value in stage.env().items():
                value = re.sub(r"^/tmp(?=/|$)", str(tmp), value)
                value = value.replace(venv_path, str(self.venv))
                env[name] = re.sub(
                    r"\$\{?(\w+)\}?", lambda match: env.get(match[1], ""), value
                )
        return {**env, "TMPDIR": str(tmp)}

    def command(self) -> list[str]:
        """The target's CMD on 127.0.0.1, its binary from the venv, its port left out.

        The caller appends `--port N` with a free port, as a test server needs.
        """
        command = self.stage.exec_form("CMD")
        command[0] = shutil.which(command[0], path=self.environment()["PATH"])
        if "--port" in command:
            command[command.index("--host") + 1] = "127.0.0.1"
            del command[command.index("--port") : command.index("--port") + 2]
        return command

    def size_in_bytes(self) -> int:
        """What the image adds to its base: the venv and the copied files."""
        return sum(
            path.lstat().st_size
            for folder in (self.venv, self.workdir)
            for path in folder.rglob("*")
            if path.is_file()
        )
