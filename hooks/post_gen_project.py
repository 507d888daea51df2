"""Keep only the chosen parts of the new project, write the settings and the record of the answers.

Rendered by cookiecutter's Jinja, then run with the new project folder as working directory. The logic
lives in src/amlops/render/layout.py of the template copy, loaded by path.
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
    layout = load(repo / "src" / "amlops" / "render" / "layout.py")
    questions = answers_module.load_questions(repo / "cookiecutter.json")
    answers = {key: CONTEXT[key] for key in questions if key in CONTEXT}
    template = {
        "source": CONTEXT.get("_template_source") or CONTEXT.get("_template", ""),
        "checkout": CONTEXT.get("_checkout") or "",
        "version": CONTEXT.get("_template_version", ""),
        "commit": CONTEXT.get("_template_commit", ""),
    }
    try:
        layout.finalize(Path.cwd(), answers, template, source=repo)
    except (layout.RenderError, ValueError, FileExistsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
