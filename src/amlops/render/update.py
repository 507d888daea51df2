"""Take a newer template into a generated project: a three-way merge that keeps the team's own edits.

The project is rendered twice with its stored answers (`.cookiecutter-answers.json`): at the template
commit it was generated from (the base) and at `--ref` (theirs, default the template's HEAD). Each file is
then merged with the project's working tree (ours): what only the template changed arrives, what only the
team changed stays, and where both changed the same lines the file is left with conflict markers and listed
(never resolved silently). Nothing is committed; the team reviews `git diff`, resolves, commits.

A project with uncommitted changes is refused (exit 3): the merge would mix with them. Exit 1 means the
merge wrote conflicts to resolve; the result lists them.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from amlops.errors import FailedError, RefusedError, UsageError
from amlops.output import emit_result
from amlops.render import answers as answer_rules
from amlops.render import layout
from amlops.render.command import InvalidAnswers, read_answers_file, render

EXIT_OK, EXIT_CONFLICTS = 0, 1
SHA = re.compile(r"[0-9a-f]{40}")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--ref", help="branch, tag or commit of the template to update to (default: its HEAD)"
    )
    parser.add_argument(
        "--template",
        help="template folder or git URL (default: the source recorded in .cookiecutter-answers.json)",
    )
    parser.add_argument(
        "--from",
        dest="from_ref",
        help="template commit the project was generated from (default: the recorded commit)",
    )


# ---------------------------------------------------------------------------------------------- merge
@dataclass
class MergeResult:
    """`merged` is the whole new tree (path -> content); the lists compare it with ours."""

    merged: dict[str, bytes]
    updated: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    conflicts: dict[str, str] = field(default_factory=dict)  # path -> reason


def is_binary(content: bytes) -> bool:
    return b"\0" in content[:8000]


def merge_file(
    ours: bytes, base: bytes, theirs: bytes, *, labels: tuple[str, str, str] = ("ours", "base", "theirs")
) -> tuple[bytes, int]:
    """`git merge-file -p --diff3`: the merged text and the number of conflicts (markers in the text)."""
    with tempfile.TemporaryDirectory(prefix="amlops-merge-") as scratch:
        names = []
        for name, content in (("ours", ours), ("base", base), ("theirs", theirs)):
            path = Path(scratch) / name
            path.write_bytes(content)
            names.append(str(path))
        command = ["git", "merge-file", "-p", "--diff3"]
        for label in labels:
            command += ["-L", label]
        done = subprocess.run([*command, *names], capture_output=True, check=False)
    if done.returncode < 0 or done.returncode > 127:
        raise FailedError(f"git merge-file failed: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout, done.returncode


def merge_trees(
    base: Mapping[str, bytes],
    ours: Mapping[str, bytes],
    theirs: Mapping[str, bytes],
    *,
    labels: tuple[str, str, str] = ("ours", "base", "theirs"),
) -> MergeResult:
    """Merge three file trees (path -> bytes; a missing path is an absent file) file by file.

    Unchanged in the template -> ours; unchanged by the team -> theirs (additions and deletions too); both
    changed alike -> that; both changed a text file -> a three-way merge (markers where the same lines
    differ); anything else changed on both sides (binary, added twice differently, deleted on one side and
    edited on the other) -> ours, or no file when the team deleted it, listed as a conflict.
    `labels` name ours, base and theirs in the conflict markers.
    """
    result = MergeResult(merged={})
    for path in sorted(set(base) | set(ours) | set(theirs)):
        b, o, t = base.get(path), ours.get(path), theirs.get(path)
        if t in (b, o):
            content = o
        elif o == b:
            content = t
        elif o is None or t is None:
            content = o
            result.conflicts[path] = (
                "deleted by the team, changed by the template"
                if o is None
                else ("deleted by the template, changed by the team")
            )
        elif any(is_binary(c) for c in (b, o, t) if c is not None):
            content = o
            result.conflicts[path] = "binary file changed by both"
        else:
            content, count = merge_file(o, b or b"", t, labels=labels)
            if count:
                result.conflicts[path] = (
                    "added by both, differently" if b is None else f"{count} conflicting change(s)"
                )
        if content is not None:
            result.merged[path] = content
        if o is None and content is not None:
            result.added.append(path)
        elif o is not None and content is None:
            result.removed.append(path)
        elif o is not None and content != o:
            result.updated.append(path)
    return result


def read_tree(root: Path, paths: Iterable[str] | None = None) -> dict[str, bytes]:
    """The regular files under `root` (or only `paths` of them that exist), keyed by posix relative path."""
    if paths is None:
        paths = (p.relative_to(root).as_posix() for p in root.rglob("*"))
    tree = {}
    for name in paths:
        file = root / name
        if file.is_file() and not file.is_symlink():
            tree[name] = file.read_bytes()
    return tree


# ---------------------------------------------------------------------------------------------- git
def _git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True, check=False)
    if check and done.returncode != 0:
        raise FailedError(f"git {' '.join(args)} in {cwd} failed: {done.stderr.strip()}")
    return done


def _tracked(project: Path) -> list[str]:
    done = subprocess.run(
        ["git", "-C", str(project), "ls-files", "-z", "--cached", "--", "."],
        capture_output=True,
        check=True,
    )
    return [name for name in done.stdout.decode().split("\0") if name]


def _check_project(project: Path) -> None:
    if not (project / layout.ANSWERS_FILE).is_file():
        raise UsageError(
            f"{project / layout.ANSWERS_FILE}: not found; `amlops update` runs in a project generated by "
            "`amlops new` (or pass --project-dir)"
        )
    inside = _git(project, "rev-parse", "--is-inside-work-tree", check=False)
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        raise RefusedError(
            f"{project} is not a git repository: refused (commit the project first, so the update can "
            "be reviewed and undone)"
        )
    status = _git(project, "status", "--porcelain", "--", ".")
    if status.stdout.strip():
        changed = [line[3:] for line in status.stdout.splitlines()]
        shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
        raise RefusedError(
            f"{project} has uncommitted changes ({shown}): refused; commit or stash them first"
        )


# ---------------------------------------------------------------------------------------------- source
def split_source(source: str) -> tuple[str, str]:
    """`amlops new` records a git URL rendered at a ref as `URL@REF`: -> (URL, REF); else (source, '')."""
    if Path(source).expanduser().is_dir():
        return source, ""
    url, sep, ref = source.rpartition("@")
    scheme_free = url.split("://", 1)[-1]
    if sep and ref and ":" not in ref and "/" in scheme_free:
        return url, ref
    return source, ""


def _template_clone(source: str, scratch: Path) -> Path:
    """A private clone of the template repository (local folder or URL), to check commits out in."""
    clone = scratch / "template"
    local = Path(source).expanduser()
    if local.is_dir() and not (local / ".git").exists():
        raise UsageError(
            f"{source}: the template folder is not a git repository; `amlops update` needs the template's "
            "history (render at the old commit and the new one)"
        )
    origin = str(local.resolve()) if local.is_dir() else source
    done = subprocess.run(
        ["git", "clone", "-q", "--no-checkout", origin, str(clone)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise UsageError(
            f"{source}: cannot clone the template (pass --template if it moved): {done.stderr.strip()}"
        )
    return clone


def _resolve(clone: Path, ref: str | None, what: str) -> str:
    candidates = ["HEAD"] if not ref else [ref, f"origin/{ref}"]
    for candidate in candidates:
        done = _git(clone, "rev-parse", "--verify", "-q", f"{candidate}^{{commit}}", check=False)
        if done.returncode == 0:
            return done.stdout.strip()
    raise UsageError(f"{what} {ref or 'HEAD'!r}: no such branch, tag or commit in the template repository")


def _render_at(clone: Path, commit: str, answers: Mapping[str, object], output: Path) -> Path:
    from cookiecutter.exceptions import CookiecutterException

    _git(clone, "checkout", "-q", "--detach", "--force", commit)
    try:
        return render(str(clone), answers, output_dir=output, include_untracked=False)
    except InvalidAnswers as exc:
        raise UsageError(
            f"the stored answers do not fit the template at {commit[:12]}: {'; '.join(exc.problems)}"
        ) from exc
    except (CookiecutterException, ValueError, OSError) as exc:
        raise FailedError(f"rendering the template at {commit[:12]} failed: {exc}") from exc


def _answers_for(clone: Path, commit: str, answers: Mapping[str, object], old: str) -> dict[str, object]:
    """The stored answers the template at `commit` asks: keys it dropped are left out (with a note), and a
    step-library pin that was the old commit (the default) follows the new one."""
    _git(clone, "checkout", "-q", "--detach", "--force", commit)
    questions = answer_rules.load_questions(clone / "cookiecutter.json")
    kept = {key: value for key, value in answers.items() if key in questions}
    dropped = sorted(set(answers) - set(kept))
    if dropped:
        print(f"note: the template at {commit[:12]} does not ask {', '.join(dropped)}", file=sys.stderr)
    if old and kept.get("step_library_ref") == old:
        kept.pop("step_library_ref")
    return kept


# ---------------------------------------------------------------------------------------------- command
def execute(args: argparse.Namespace) -> int:
    project = args.settings.project.root
    _check_project(project)
    record_file = project / layout.ANSWERS_FILE
    try:
        record = json.loads(record_file.read_text(encoding="utf-8"))
        answers = read_answers_file(record_file)
    except (OSError, ValueError) as exc:
        raise UsageError(f"{record_file}: {exc}") from exc
    template = record.get("template") if isinstance(record.get("template"), dict) else {}
    source = args.template or split_source(str(template.get("source") or ""))[0]
    if not source:
        raise UsageError(f"{record_file}: no template source recorded; pass --template")
    recorded = str(template.get("commit") or "")
    if not args.from_ref and not recorded:
        raise UsageError(f"{record_file}: no template commit recorded; pass --from COMMIT")
    approximate = not args.from_ref and recorded.endswith("-dirty")

    with tempfile.TemporaryDirectory(prefix="amlops-update-") as tmp:
        scratch = Path(tmp)
        clone = _template_clone(source, scratch)
        old = _resolve(clone, args.from_ref or recorded.removesuffix("-dirty"), "template commit")
        new = _resolve(clone, args.ref, "--ref")
        if approximate:
            print(
                f"warning: the project was generated from uncommitted template changes on top of "
                f"{old[:12]}; the base of the merge is {old[:12]} itself, so some of those changes "
                "may show as conflicts",
                file=sys.stderr,
            )
        if old == new and not approximate:
            print(f"already at template commit {new[:12]}", file=sys.stderr)
            emit_result(_result(old, new, MergeResult(merged={})))
            return EXIT_OK
        base_dir = _render_at(clone, old, _answers_for(clone, old, answers, ""), scratch / "base")
        theirs_dir = _render_at(clone, new, _answers_for(clone, new, answers, old), scratch / "theirs")
        version = _project_version(clone)
        base, theirs = read_tree(base_dir), read_tree(theirs_dir)
        # Ours: what git tracks, plus ignored files on disk a render would write over.
        ours = read_tree(project, sorted(set(_tracked(project)) | (set(base) | set(theirs))))
        new_record = theirs.pop(layout.ANSWERS_FILE, None)
        for tree in (base, ours):
            tree.pop(layout.ANSWERS_FILE, None)
        result = merge_trees(
            base, ours, theirs, labels=("ours", f"template {old[:12]}", f"template {new[:12]}")
        )
        _write(project, ours, result, theirs_dir)
    if _write_record(
        record_file, new_record, record, source=source, ref=args.ref or "", commit=new, version=version
    ):
        result.updated.append(layout.ANSWERS_FILE)
    document = _result(old, new, result)
    _summary(document, result)
    emit_result(document)
    return EXIT_CONFLICTS if result.conflicts else EXIT_OK


def _project_version(clone: Path) -> str:
    pyproject = clone / "pyproject.toml"
    if not pyproject.is_file():
        return ""
    match = re.search(r'(?m)^version\s*=\s*"([^"]+)"', pyproject.read_text(encoding="utf-8"))
    return match.group(1) if match else ""


def _write(project: Path, ours: Mapping[str, bytes], result: MergeResult, theirs_dir: Path) -> None:
    for path in result.removed:
        (project / path).unlink()
        parent = (project / path).parent
        while parent != project and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent
    for path, content in result.merged.items():
        if ours.get(path) == content:
            continue
        target = project / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        if path not in ours and (theirs_dir / path).is_file():
            shutil.copymode(theirs_dir / path, target)


def _write_record(
    record_file: Path,
    rendered: bytes | None,
    old_record: Mapping[str, object],
    *,
    source: str,
    ref: str,
    commit: str,
    version: str,
) -> bool:
    """The new render's answers record, with the template's own source (not the private clone)."""
    record = json.loads(rendered) if rendered else dict(old_record)
    record["template"] = {"source": source, "checkout": ref, "version": version, "commit": commit}
    text = json.dumps(record, indent=2) + "\n"
    if text == record_file.read_text(encoding="utf-8"):
        return False
    record_file.write_text(text, encoding="utf-8")
    return True


def _result(old: str, new: str, result: MergeResult) -> dict[str, object]:
    return {
        "from": old,
        "to": new,
        "updated": sorted(result.updated),
        "added": result.added,
        "removed": result.removed,
        "conflicts": sorted(result.conflicts),
        "conflict_reasons": dict(sorted(result.conflicts.items())),
    }


def _summary(document: Mapping[str, object], result: MergeResult) -> None:
    print(
        f"template {str(document['from'])[:12]} -> {str(document['to'])[:12]}: {len(result.updated)} "
        f"updated, {len(result.added)} added, {len(result.removed)} removed, "
        f"{len(result.conflicts)} conflict(s) (not committed; review with `git diff`)",
        file=sys.stderr,
    )
    for path, reason in sorted(result.conflicts.items()):
        print(f"  conflict: {path}: {reason}", file=sys.stderr)
    if result.conflicts:
        print("resolve the conflicts (search for <<<<<<< markers), then commit", file=sys.stderr)


__all__ = ["MergeResult", "configure", "execute", "merge_file", "merge_trees", "read_tree", "split_source"]
