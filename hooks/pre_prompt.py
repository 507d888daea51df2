"""Assemble `{{cookiecutter.project_slug}}/` inside cookiecutter's temporary copy of this repository.

Runs before the questions, with the copy as working directory; standard library only. The logic lives in
src/amlops/render/layout.py (tested there); this file only loads it by path.
"""

import importlib.util
import sys
from pathlib import Path


def load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def main() -> int:
    repo = Path.cwd()
    layout = load(repo / "src" / "amlops" / "render" / "layout.py")
    layout.assemble(repo)
    return 0


if __name__ == "__main__":
    sys.exit(main())
