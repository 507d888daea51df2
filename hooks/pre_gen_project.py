"""Refuse invalid answers before any file is written (exit 1: cookiecutter removes the project folder).

Rendered by cookiecutter's Jinja, then run with the new, still empty, project folder as working directory.
The rules live in src/amlops/render/answers.py of the template copy, loaded by path.
"""

import importlib.util
import json
import sys
from pathlib import Path

CONTEXT = json.loads(r"""{{ cookiecutter | tojson }}""")


def load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def main() -> int:
    repo = Path(CONTEXT["_repo_dir"])
    answers_module = load(repo / "src" / "amlops" / "render" / "answers.py")
    questions = answers_module.load_questions(repo / "cookiecutter.json")
    answers = {key: value for key, value in CONTEXT.items() if key in questions}
    problems = answers_module.validate(answers, questions)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
