"""`amlops update`: the three-way merge rules, the refusals, and one real update of a generated project."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from git_repository import GIT_ENV, git

from amlops.cli import main
from amlops.render import update
from amlops.render.command import export_template, render
from amlops.render.layout import ANSWERS_FILE

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def git_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)


def _commit_all(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def _init(repo: Path) -> None:
    git(repo, "init", "-q", "-b", "main")


def _last_json(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------------- merge rules
LABELS = ("ours", "template A", "template B")


def _merge(base: dict, ours: dict, theirs: dict) -> update.MergeResult:
    return update.merge_trees(base, ours, theirs, labels=LABELS)


def test_unchanged_in_template_keeps_ours():
    result = _merge({"a": b"1\n"}, {"a": b"team\n"}, {"a": b"1\n"})
    assert result.merged == {"a": b"team\n"}
    assert (result.updated, result.added, result.removed, result.conflicts) == ([], [], [], {})


def test_unchanged_by_team_takes_theirs_including_additions_and_deletions():
    base = {"changed": b"1\n", "deleted": b"x\n"}
    theirs = {"changed": b"2\n", "new": b"n\n"}
    result = _merge(base, dict(base), theirs)
    assert result.merged == theirs
    assert result.updated == ["changed"]
    assert result.added == ["new"]
    assert result.removed == ["deleted"]
    assert not result.conflicts


def test_both_changed_identically_takes_it():
    result = _merge({"a": b"1\n"}, {"a": b"2\n", "b": b"same\n"}, {"a": b"2\n", "b": b"same\n"})
    assert result.merged == {"a": b"2\n", "b": b"same\n"}
    assert not result.conflicts
    assert not result.updated


def test_text_changes_in_different_places_merge_cleanly():
    base = b"one\ntwo\nthree\nfour\nfive\n"
    ours = b"one\ntwo\nthree\nfour\nfive\nteam line\n"
    theirs = b"ONE\ntwo\nthree\nfour\nfive\n"
    result = _merge({"f": base}, {"f": ours}, {"f": theirs})
    assert result.merged["f"] == b"ONE\ntwo\nthree\nfour\nfive\nteam line\n"
    assert result.updated == ["f"]
    assert not result.conflicts


def test_text_changes_of_the_same_line_leave_markers_and_a_conflict():
    result = _merge({"f": b"a\nx\nb\n"}, {"f": b"a\nteam\nb\n"}, {"f": b"a\ntemplate\nb\n"})
    text = result.merged["f"].decode()
    assert "<<<<<<< ours\nteam\n" in text
    assert "||||||| template A\nx\n" in text
    assert "=======\ntemplate\n>>>>>>> template B\n" in text
    assert list(result.conflicts) == ["f"]
    assert result.updated == ["f"]


def test_binary_changed_on_both_sides_keeps_ours():
    result = _merge({"m.bin": b"\0base"}, {"m.bin": b"\0ours"}, {"m.bin": b"\0theirs"})
    assert result.merged == {"m.bin": b"\0ours"}
    assert "binary" in result.conflicts["m.bin"]
    assert not result.updated


def test_binary_changed_only_by_template_is_taken():
    result = _merge({"m.bin": b"\0base"}, {"m.bin": b"\0base"}, {"m.bin": b"\0new"})
    assert result.merged == {"m.bin": b"\0new"}
    assert not result.conflicts


def test_added_on_both_sides_differently_is_a_conflict():
    result = _merge({}, {"f": b"team\n"}, {"f": b"template\n"})
    assert "added by both" in result.conflicts["f"]
    assert b"<<<<<<< ours" in result.merged["f"]
    binary = _merge({}, {"f": b"\0team"}, {"f": b"\0template"})
    assert binary.merged == {"f": b"\0team"}
    assert "f" in binary.conflicts


def test_deleted_by_template_but_edited_by_team_keeps_ours():
    result = _merge({"f": b"1\n"}, {"f": b"team\n"}, {})
    assert result.merged == {"f": b"team\n"}
    assert "deleted by the template" in result.conflicts["f"]
    assert not result.removed


def test_deleted_by_team_stays_deleted_unless_the_template_changed_it():
    quiet = _merge({"f": b"1\n"}, {}, {"f": b"1\n"})
    assert quiet.merged == {}
    assert not quiet.conflicts
    assert not quiet.added
    changed = _merge({"f": b"1\n"}, {}, {"f": b"2\n"})
    assert changed.merged == {}
    assert "deleted by the team" in changed.conflicts["f"]


def test_read_tree_reads_files_by_posix_path(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "f.txt").write_bytes(b"x")
    (tmp_path / "top").write_bytes(b"y")
    assert update.read_tree(tmp_path) == {"d/f.txt": b"x", "top": b"y"}
    assert update.read_tree(tmp_path, ["top", "missing"]) == {"top": b"y"}


@pytest.mark.parametrize(
    ("recorded", "expected"),
    [
        ("https://github.com/org/amlops.git@v1.2.0", ("https://github.com/org/amlops.git", "v1.2.0")),
        ("https://github.com/org/amlops.git", ("https://github.com/org/amlops.git", "")),
        ("git@github.com:org/amlops.git@feature/x", ("git@github.com:org/amlops.git", "feature/x")),
        ("git@github.com:org/amlops.git", ("git@github.com:org/amlops.git", "")),
        ("ssh://git@host/org/amlops.git", ("ssh://git@host/org/amlops.git", "")),
    ],
)
def test_split_source_strips_the_ref_amlops_new_records(recorded, expected):
    assert update.split_source(recorded) == expected


# ---------------------------------------------------------------------------------------------- refusals
def _fake_project(tmp_path: Path, *, source: str = "", commit: str = "") -> Path:
    project = tmp_path / "project"
    project.mkdir(parents=True)
    record = {"template": {"source": source, "checkout": "", "version": "", "commit": commit}, "answers": {}}
    (project / ANSWERS_FILE).write_text(json.dumps(record), encoding="utf-8")
    (project / "README.md").write_text("hello\n", encoding="utf-8")
    return project


def _tiny_template(tmp_path: Path) -> tuple[Path, str]:
    template = tmp_path / "template"
    template.mkdir()
    (template / "cookiecutter.json").write_text("{}\n", encoding="utf-8")
    _init(template)
    return template, _commit_all(template, "template")


def test_a_dirty_project_is_refused_and_left_alone(tmp_path, git_env, capsys):
    project = _fake_project(tmp_path, source=str(tmp_path / "nowhere"), commit="0" * 40)
    _init(project)
    _commit_all(project, "generated")
    (project / "README.md").write_text("hello\nwork in progress\n", encoding="utf-8")
    (project / "notes.txt").write_text("untracked\n", encoding="utf-8")
    before = {p: p.read_bytes() for p in project.rglob("*") if p.is_file() and ".git" not in p.parts}

    assert main(["--project-dir", str(project), "update"]) == 3
    out, err = capsys.readouterr()
    assert "uncommitted changes" in err
    assert "refused" in err
    assert "README.md" in err
    assert _last_json(out)["error_type"] == "RefusedError"
    after = {p: p.read_bytes() for p in project.rglob("*") if p.is_file() and ".git" not in p.parts}
    assert after == before


def test_a_project_outside_git_is_refused(tmp_path, git_env, capsys, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    project = _fake_project(tmp_path / "outside")
    assert main(["--project-dir", str(project), "update"]) == 3
    assert "not a git repository" in capsys.readouterr().err


def test_a_folder_without_the_answers_record_is_a_usage_error(tmp_path, capsys):
    assert main(["--project-dir", str(tmp_path), "update"]) == 2
    assert ANSWERS_FILE in capsys.readouterr().err


def test_an_unknown_ref_is_a_usage_error_naming_it(tmp_path, git_env, capsys):
    template, commit = _tiny_template(tmp_path)
    project = _fake_project(tmp_path, source=str(template), commit=commit)
    _init(project)
    head = _commit_all(project, "generated")
    assert main(["--project-dir", str(project), "update", "--ref", "no-such-tag"]) == 2
    assert "'no-such-tag'" in capsys.readouterr().err
    assert git(project, "status", "--porcelain") == ""
    assert git(project, "rev-parse", "HEAD") == head


def test_already_at_the_ref_changes_nothing(tmp_path, git_env, capsys):
    template, commit = _tiny_template(tmp_path)
    project = _fake_project(tmp_path, source=str(template), commit=commit)
    _init(project)
    _commit_all(project, "generated")
    assert main(["--project-dir", str(project), "update"]) == 0
    out, err = capsys.readouterr()
    assert "already at" in err
    assert _last_json(out) == {
        "from": commit,
        "to": commit,
        "updated": [],
        "added": [],
        "removed": [],
        "conflicts": [],
        "conflict_reasons": {},
    }
    assert git(project, "status", "--porcelain") == ""


def test_a_template_folder_without_history_is_a_usage_error(tmp_path, git_env, capsys):
    plain = tmp_path / "plain"
    plain.mkdir()
    project = _fake_project(tmp_path, source=str(plain), commit="0" * 40)
    _init(project)
    _commit_all(project, "generated")
    assert main(["--project-dir", str(project), "update"]) == 2
    assert "not a git repository" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------- end to end
@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME, cookiecutter's config and TMPDIR inside tmp_path (cookiecutter writes replay files to HOME)."""
    root = tmp_path / "isolated"
    for name in ("home", "tmp"):
        (root / name).mkdir(parents=True)
    config = root / "cookiecutter.yaml"
    settings = {"replay_dir": str(root / "replay"), "cookiecutters_dir": str(root / "clones")}
    config.write_text("".join(f"{k}: {json.dumps(v)}\n" for k, v in settings.items()), encoding="utf-8")
    monkeypatch.setenv("HOME", str(root / "home"))
    monkeypatch.setenv("COOKIECUTTER_CONFIG", str(config))
    monkeypatch.setenv("TMPDIR", str(root / "tmp"))
    monkeypatch.setattr(tempfile, "tempdir", str(root / "tmp"))
    return root


def _replace_line(path: Path, index: int, line: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[index] = line + "\n"
    path.write_text("".join(lines), encoding="utf-8")


@pytest.mark.slow
def test_update_keeps_team_edits_brings_template_changes_and_marks_conflicts(
    tmp_path, git_env, isolated, capsys
):
    template = tmp_path / "amlops"
    export_template(REPO, template, include_untracked=False)
    _init(template)
    commit_a = _commit_all(template, "template A")

    project = render(
        str(template), {"ci_platform": "github-actions"}, output_dir=tmp_path / "out", no_input=True
    )
    record = json.loads((project / ANSWERS_FILE).read_text(encoding="utf-8"))
    assert record["template"]["commit"] == commit_a
    _init(project)
    _commit_all(project, "generated by amlops new")

    # The team: a line at the end of the README, and their own first line of the gate configuration.
    readme = project / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + "Team note: our own line.\n", encoding="utf-8")
    _replace_line(project / "data-science" / "gate.yml", 0, "# the team's gate")
    _commit_all(project, "team edits")

    # The template: a line near the README's top, another first line of the gate, a new file.
    skeleton_readme = template / "project" / "README.md"
    lines = skeleton_readme.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(1, "\nTemplate note: arrived with the update.\n")
    skeleton_readme.write_text("".join(lines), encoding="utf-8")
    _replace_line(template / "data-science" / "gate.yml", 0, "# the template's new gate")
    (template / "data-science" / "UPGRADING.md").write_text("new in B\n", encoding="utf-8")
    commit_b = _commit_all(template, "template B")
    capsys.readouterr()

    assert main(["--project-dir", str(project), "update", "--ref", commit_b]) == 1
    out, err = capsys.readouterr()
    result = _last_json(out)
    assert (result["from"], result["to"]) == (commit_a, commit_b)
    assert result["conflicts"] == ["data-science/gate.yml"]
    assert "data-science/gate.yml" in err

    text = readme.read_text(encoding="utf-8")
    assert "Team note: our own line." in text
    assert "Template note: arrived with the update." in text
    assert "<<<<<<< ours" not in text
    assert "README.md" in result["updated"]

    gate = (project / "data-science" / "gate.yml").read_text(encoding="utf-8")
    assert "<<<<<<< ours\n# the team's gate\n" in gate
    assert f">>>>>>> template {commit_b[:12]}" in gate
    assert "# the template's new gate" in gate

    assert (project / "data-science" / "UPGRADING.md").read_text(encoding="utf-8") == "new in B\n"
    assert "data-science/UPGRADING.md" in result["added"]

    record = json.loads((project / ANSWERS_FILE).read_text(encoding="utf-8"))
    assert record["template"]["commit"] == commit_b
    assert record["template"]["source"] == str(template)
    assert record["answers"]["ci_platform"] == "github-actions"
    # The step-library pin defaulted to the template commit, so it follows the update.
    assert record["answers"]["step_library_ref"] == commit_b
    # Nothing committed: the team reviews the working tree.
    assert git(project, "log", "-1", "--format=%s") == "team edits"


def test_a_render_failure_changes_nothing_in_the_project(tmp_path, git_env, isolated, capsys):
    template, first = _tiny_template(tmp_path)  # no project folder: cookiecutter cannot render it
    (template / "CHANGELOG.md").write_text("B\n", encoding="utf-8")
    second = _commit_all(template, "B")
    project = _fake_project(tmp_path, source=str(template), commit=first)
    _init(project)
    head = _commit_all(project, "generated")
    assert main(["--project-dir", str(project), "update"]) == 1
    out, err = capsys.readouterr()
    assert f"rendering the template at {first[:12]} failed" in err
    assert _last_json(out)["error_type"] == "FailedError"
    assert second != first
    assert git(project, "status", "--porcelain") == ""
    assert git(project, "rev-parse", "HEAD") == head
