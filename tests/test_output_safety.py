"""The writer touches nothing outside the output folder, whatever links the folder holds or
manifest.json says, and a lost store does not take the published archive with it."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from click.testing import CliRunner

from digest.cli import main


def build(project: Path, *args: str):
    return CliRunner().invoke(main, ["build", "-c", str(project / "digest.yaml"), *args])


def tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def listed(out: Path) -> set[str]:
    return {f["path"] for f in json.loads((out / "manifest.json").read_text())["files"]}


def test_a_folder_of_the_output_linked_elsewhere_is_not_written_through(
    project: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "mine.txt").write_text("not the digest's")
    out = project / "output"
    out.mkdir()
    (out / "days").symlink_to(outside, target_is_directory=True)
    result = build(project)
    assert result.exit_code == 1, result.output
    [line] = [x for x in result.output.splitlines() if x.startswith("Error:")]
    assert line == (
        f"Error: {out / 'days'}: a link to {outside}, outside the output folder; refusing to "
        "write there (remove the link)"
    )
    assert tree(outside) == {"mine.txt": b"not the digest's"}
    (out / "days").unlink()
    assert build(project).exit_code == 0
    assert (out / "days").is_dir() and not (out / "days").is_symlink()


def test_a_path_added_to_the_manifest_is_never_removed(project: Path, tmp_path: Path) -> None:
    out = project / "output"
    assert build(project).exit_code == 0
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "victim.txt").write_text("precious")
    (out / "linked").symlink_to(outside, target_is_directory=True)
    (out / "notes").mkdir()
    (out / "notes" / "mine.txt").write_text("mine")
    manifest = json.loads((out / "manifest.json").read_text())
    for path in ("linked/victim.txt", "notes/mine.txt", "../outside.txt"):
        manifest["files"].append({"path": path, "kind": "page", "date": None, "topic": None})
    (out / "manifest.json").write_text(json.dumps(manifest))
    (tmp_path / "outside.txt").write_text("outside")
    for args in ((), ("--prune",)):  # not even when asked to prune: they are not the writer's
        result = build(project, *args)
        assert result.exit_code == 0, result.output
        assert (outside / "victim.txt").read_text() == "precious"
        assert (tmp_path / "outside.txt").read_text() == "outside"
    assert not (out / "notes" / "mine.txt").exists()  # inside the output, --prune removes it


def test_a_hand_added_file_inside_the_output_is_kept_and_said(project: Path) -> None:
    out = project / "output"
    assert build(project).exit_code == 0
    (out / "notes").mkdir()
    (out / "notes" / "mine.txt").write_text("mine")
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["files"].append({"path": "notes/mine.txt", "kind": "page", "date": 5, "topic": []})
    (out / "manifest.json").write_text(json.dumps(manifest))
    result = build(project, "--force")
    assert result.exit_code == 0, result.output
    assert "kept 1 file(s) that manifest.json lists" in result.output
    assert (out / "notes" / "mine.txt").read_text() == "mine"
    assert "notes/mine.txt" in listed(out)


def test_a_lost_store_keeps_the_published_archive(project: Path) -> None:
    """A CI that keeps the output but not .digest/, after an input rotated away: the store is
    new, the old dates' pages are kept, and the build says so and how to restore them."""
    out = project / "output"
    assert build(project).exit_code == 0
    before = tree(out)
    old_days = sorted(p.name for p in (out / "days").iterdir())
    assert len(old_days) == 4
    shutil.rmtree(project / ".digest")  # the store is lost ...
    for page in (project / "feeds" / "pages").iterdir():  # ... and the pages rotated away
        page.rename(project / "feeds" / page.name.replace(".txt", ".old"))
    result = build(project)
    assert result.exit_code == 2, result.output  # the empty glob is an error of its own
    assert " 0 removed" in result.output
    warning = next(x for x in result.output.splitlines() if "kept" in x)
    assert warning.startswith(f"warning: {out}: kept 15 file(s) that manifest.json lists (of 3")
    assert "restore the store from a backup" in warning and "--prune" in warning
    assert sorted(p.name for p in (out / "days").iterdir()) == old_days
    for path, data in before.items():  # every old page as it was, or made again
        if path.startswith("days/"):
            assert (out / path).read_bytes() == data or path.endswith("2026-11-20.html")
    assert {p for p in before if p.startswith("days/")} <= listed(out)
    again = build(project)  # said again at every build, until restored or pruned
    assert "kept 15 file(s)" in again.output and " 0 removed" in again.output
    pruned = build(project, "--prune")
    assert " 15 removed" in pruned.output and "kept" not in pruned.output
    assert sorted(p.name for p in (out / "days").iterdir()) == ["2026-11-20.html"]


def test_a_truncated_store_keeps_the_published_archive_too(project: Path) -> None:
    out = project / "output"
    assert build(project).exit_code == 0
    pages = sorted((out / "days").iterdir())
    os.truncate(project / ".digest" / "store.sqlite", 0)
    for page in (project / "feeds" / "pages").iterdir():
        page.unlink()
    result = build(project)
    assert "kept 15 file(s)" in result.output and " 0 removed" in result.output
    assert sorted((out / "days").iterdir()) == pages
