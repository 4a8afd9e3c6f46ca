"""The template's hooks, imported as plain modules so tests can call their helpers.

Their only Jinja is the string holding the answers, which they parse in their
``__main__`` block alone; importing them runs nothing.
"""

from __future__ import annotations

import importlib.util
from types import ModuleType

from matrix import TEMPLATE_DIR


def load_hook(name: str) -> ModuleType:
    """Import ``hooks/<name>.py`` under its own name."""
    spec = importlib.util.spec_from_file_location(
        name, TEMPLATE_DIR / "hooks" / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pre_gen = load_hook("pre_gen_project")
post_gen = load_hook("post_gen_project")
