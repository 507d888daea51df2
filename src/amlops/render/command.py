"""Render a new project from the amlops cookiecutter: validated answers, only the chosen parts.

A thin layer over cookiecutter's own API: it refuses unknown keys and invalid values before anything is
written (cookiecutter alone silently ignores a misspelled key), generates from a clean export of a local
template (a working tree's virtual environment would break cookiecutter's copy), and records where the
template came from so the project can be re-rendered (`--answers .cookiecutter-answers.json`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from amlops.errors import UsageError
from amlops.render import answers as answer_rules
from amlops.render import layout

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXPORT_IGNORE = (*layout.JUNK, ".git")


def default_template() -> Path | None:
    """The repository this package was installed from, when it is a template checkout."""
    root = Path(__file__).resolve().parents[3]
    return root if (root / "cookiecutter.json").is_file() and (root / "hooks").is_dir() else None


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "answers",
        nargs="*",
        metavar="KEY=VALUE",
        help="an answer, e.g. ci_platform=azure-devops (repeatable); see cookiecutter.json for the keys",
    )
    parser.add_argument(
        "--template",
        help="template folder or git URL (default: the repository this amlops comes from, if it is one)",
    )
    parser.add_argument("--checkout", help="branch, tag or commit of a git template to render from")
    parser.add_argument(
        "--output-dir", default=".", help="folder the project folder is created in (default .)"
    )
    parser.add_argument(
        "--answers-file",
        "--answers",
        dest="answers_file",
        help="JSON file of answers: a flat object, or a .cookiecutter-answers.json record; KEY=VALUE wins",
    )
    parser.add_argument(
        "--no-input", action="store_true", help="do not prompt; unanswered questions take their defaults"
    )
    parser.add_argument("--overwrite", action="store_true", help="render into an existing project folder")


def parse_pairs(pairs: Sequence[str]) -> dict[str, str]:
    """`["a=1", "b=x=y"]` -> `{"a": "1", "b": "x=y"}`; raises ValueError naming a malformed pair."""
    result = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"{pair!r}: expected KEY=VALUE")
        result[key.strip()] = value
    return result


def read_answers_file(path: Path) -> dict[str, object]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(data, dict) and isinstance(data.get("answers"), dict):
        data = data["answers"]
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object of answers")
    return data


def export_template(source: Path, destination: Path, *, include_untracked: bool = True) -> None:
    """Copy a template checkout without its git folder, virtual environments, caches and ignored files.

    In a git working tree the files are those git lists (tracked, plus untracked-but-not-ignored unless
    `include_untracked` is False); elsewhere everything except `EXPORT_IGNORE`.
    """
    if (source / ".git").exists():
        command = ["git", "-C", str(source), "ls-files", "-z", "--cached"]
        if include_untracked:
            command += ["--others", "--exclude-standard"]
        listed = subprocess.run(command, capture_output=True, check=True).stdout.decode().split("\0")
        for name in filter(None, listed):
            file = source / name
            if file.is_file() and not file.is_symlink():
                target = destination / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(file, target)
    else:
        shutil.copytree(
            source, destination, ignore=shutil.ignore_patterns(*EXPORT_IGNORE), dirs_exist_ok=True
        )


def template_commit(source: Path) -> str:
    """HEAD's SHA of a git checkout, suffixed `-dirty` when the working tree differs from it; else ''."""
    if not (source / ".git").exists():
        return ""
    git = ["git", "-C", str(source)]
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=False)
    if head.returncode != 0:
        return ""
    status = subprocess.run(
        [*git, "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True, check=False
    )
    return head.stdout.strip() + ("-dirty" if status.stdout.strip() else "")


@contextlib.contextmanager
def _scratch() -> Iterator[Path]:
    """A temporary folder that also receives cookiecutter's own temporary copies, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="amlops-new-") as scratch:
        previous = tempfile.tempdir
        tempfile.tempdir = scratch
        try:
            yield Path(scratch)
        finally:
            tempfile.tempdir = previous


@contextlib.contextmanager
def _environ(values: Mapping[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _is_local(template: str) -> bool:
    return Path(template).expanduser().is_dir()


def render(
    template: str,
    given: Mapping[str, object],
    *,
    output_dir: Path,
    checkout: str | None = None,
    no_input: bool = True,
    overwrite: bool = False,
    include_untracked: bool = True,
) -> Path:
    """Validate `given` against the template's questions, then generate; returns the project folder.

    Raises `InvalidAnswers` (nothing written) or cookiecutter's exceptions (the project folder removed).
    """
    from cookiecutter.main import cookiecutter

    with _scratch() as scratch:
        if _is_local(template):
            checkout_dir = Path(template).expanduser().resolve()
            source_label = str(checkout_dir)
        else:
            checkout_dir = _clone(template, checkout, scratch)
            source_label = template
        questions = answer_rules.load_questions(checkout_dir / "cookiecutter.json")
        problems = answer_rules.validate(given, questions)
        if not problems and no_input:
            problems = answer_rules.validate(_complete(checkout_dir, given), questions)
        if problems:
            raise InvalidAnswers(problems)
        export = scratch / "template"
        export_template(checkout_dir, export, include_untracked=include_untracked)
        env = {
            layout.TEMPLATE_SOURCE_ENV: source_label,
            layout.TEMPLATE_COMMIT_ENV: template_commit(checkout_dir),
        }
        if checkout and not _is_local(template):
            env[layout.TEMPLATE_SOURCE_ENV] = f"{template}@{checkout}"
        with _environ(env):
            project = cookiecutter(
                str(export),
                no_input=no_input,
                extra_context={key: str(value) for key, value in given.items()},
                output_dir=str(output_dir),
                overwrite_if_exists=overwrite,
            )
    return Path(project)


def _complete(checkout_dir: Path, given: Mapping[str, object]) -> dict[str, object]:
    """All answers as cookiecutter would settle them without prompting (defaults rendered), via its API."""
    from cookiecutter.generate import generate_context
    from cookiecutter.prompt import prompt_for_config

    context = generate_context(
        context_file=str(checkout_dir / "cookiecutter.json"),
        extra_context={key: str(value) for key, value in given.items()},
    )
    settled = prompt_for_config(context, no_input=True)
    return {key: value for key, value in settled.items() if not key.startswith("_")}


def _clone(template: str, checkout: str | None, scratch: Path) -> Path:
    from cookiecutter.repository import determine_repo_dir

    repo_dir, _cleanup = determine_repo_dir(
        template=template,
        abbreviations={},
        clone_to_dir=str(scratch / "clones"),
        checkout=checkout,
        no_input=True,
    )
    return Path(repo_dir)


class InvalidAnswers(UsageError):
    """The answers break the template's rules; `problems` holds one message per answer."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


def execute(args: argparse.Namespace) -> int:
    template = args.template or (str(default_template()) if default_template() else None)
    if template is None:
        print(
            "error: --template is required (this amlops is not inside a template checkout)", file=sys.stderr
        )
        return EXIT_USAGE
    try:
        given: dict[str, object] = {}
        if args.answers_file:
            given.update(read_answers_file(Path(args.answers_file)))
        given.update(parse_pairs(args.answers))
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    from cookiecutter.exceptions import CookiecutterException

    try:
        project = render(
            template,
            given,
            output_dir=Path(args.output_dir),
            checkout=args.checkout,
            no_input=args.no_input,
            overwrite=args.overwrite,
        )
    except InvalidAnswers as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return EXIT_USAGE
    except (CookiecutterException, ValueError, OSError) as exc:
        print(f"error: generation failed: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"generated {project}", file=sys.stderr)
    print(json.dumps({"project": str(project)}))
    return EXIT_OK
