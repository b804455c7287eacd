"""`grade import`: LMS bulk downloads (layouts in layouts.json, with sources) into student folders,
and hostile archives refused."""
from __future__ import annotations

import csv
import io
import json
import os
import stat
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.errors import DownloadError
from grader.lms import MANIFEST, import_submissions
from grader.lms.archive import Limits, safe_path

LAYOUTS = json.loads((Path(__file__).parent / "layouts.json").read_text(encoding="utf-8"))
LMS_NAMES = {"canvas": "Canvas", "moodle": "Moodle", "gradescope": "Gradescope"}


def content(name: str) -> bytes:
    return f"made up for a test: {name}\n".encode()


def files_of(lms: str) -> dict[str, bytes]:
    files = {name: content(name) for name in LAYOUTS[lms]["files"]}
    if lms == "gradescope":
        files["assignment_9100_export/submission_metadata.yml"] = \
            LAYOUTS["gradescope"]["metadata"].encode()
    return files


def as_zip(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return path


def as_folder(path: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_bytes(data)
    return path


@pytest.mark.parametrize("packed", ["zip", "folder"])
@pytest.mark.parametrize("lms", ["canvas", "moodle", "gradescope"])
def test_each_documented_layout_lands_in_student_folders(lms: str, packed: str,
                                                         tmp_path: Path) -> None:
    files = files_of(lms)
    source = as_zip(tmp_path / "download.zip", files) if packed == "zip" else \
        as_folder(tmp_path / "download", files)
    report = import_submissions(source, tmp_path / "out")
    assert report.lms == LMS_NAMES[lms]
    for name, where in LAYOUTS[lms]["files"].items():
        if where is None:
            assert any(p.startswith(name) for p in report.problems), name
            continue
        student, inner = where
        assert (tmp_path / "out" / student / inner).read_bytes() == content(name), name


def test_canvas_late_and_resubmission_suffix_are_recorded(tmp_path: Path) -> None:
    report = import_submissions(as_zip(tmp_path / "c.zip", files_of("canvas")), tmp_path / "out")
    assert "wellslane: model-1.py -> model.py (Canvas resubmission suffix)" in report.notes
    with open(tmp_path / "out" / MANIFEST, encoding="utf-8") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    assert rows["wellslane"]["late"] == "yes" and rows["smithbob"]["late"] == ""
    assert rows["smithbob"]["lms_id"] == "340934"
    assert rows["smithbob"]["submission"] == "208490284"


def test_gradescope_group_copies_and_missing_files(tmp_path: Path) -> None:
    report = import_submissions(as_zip(tmp_path / "g.zip", files_of("gradescope")),
                                tmp_path / "out")
    assert (tmp_path / "out" / "Pair_Two" / "answers.toml").is_file()
    assert "submission_metadata.yml: submission_281738 has no files in the download" \
        in report.problems
    assert any("submission_999999 is not in submission_metadata.yml" in p
               for p in report.problems)


def test_name_collision_is_reported_not_guessed(tmp_path: Path) -> None:
    files = {"smithbob_340934_208490284_answers.toml": b"a",
             "smithbob_777001_208490999_answers.toml": b"b",
             "readme.txt": b"from the TA"}
    source = as_zip(tmp_path / "c.zip", files)
    report = import_submissions(source, tmp_path / "out")
    assert not (tmp_path / "out" / "smithbob").exists()
    assert any("2 students share this name" in p and "--name-by id" in p
               for p in report.problems)
    assert any(p.startswith("readme.txt:") for p in report.problems)
    by_id = import_submissions(source, tmp_path / "by-id", name_by="id")
    assert sorted(by_id.students) == ["340934", "777001"]


def test_existing_student_folder_is_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "out" / "smithbob").mkdir(parents=True)
    (tmp_path / "out" / "smithbob" / "answers.toml").write_text("mine")
    report = import_submissions(as_zip(tmp_path / "c.zip", files_of("canvas")), tmp_path / "out")
    assert (tmp_path / "out" / "smithbob" / "answers.toml").read_text() == "mine"
    assert any(p.startswith("smithbob:") and "not overwritten" in p for p in report.problems)


# --- hostile archives ---------------------------------------------------------------------------

def hostile_zip(path: Path) -> Path:
    good = "smithbob_340934_208490284_answers.toml"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(good, b"ok")
        z.writestr("../smithbob_340934_208490284_escape.toml", b"climbs out")
        z.writestr("/etc/smithbob_340934_208490284_abs.toml", b"absolute")
        z.writestr("..\\..\\smithbob_340934_208490284_win.toml", b"windows climb")
        link = zipfile.ZipInfo("smithbob_340934_208490284_link.toml")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        z.writestr(link, "/etc/passwd")
        z.writestr("smithbob_340934_208490284_bomb.pt", b"\0" * (8 * 2**20))   # ~1000:1
    return path


def test_hostile_zip_members_are_refused_and_nothing_escapes(tmp_path: Path) -> None:
    out = tmp_path / "deep" / "out"
    report = import_submissions(hostile_zip(tmp_path / "h.zip"), out)
    assert report.students == {"smithbob": ["answers.toml"]}
    refused = "\n".join(report.problems)
    assert "../smithbob_340934_208490284_escape.toml: a path that leaves the folder" in refused
    assert "/etc/smithbob_340934_208490284_abs.toml: a path that leaves the folder" in refused
    assert "win.toml: a path that leaves the folder" in refused
    assert "link.toml: a symlink, refused" in refused
    assert "bomb.pt: compressed" in refused and "zip bomb" in refused
    written = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert written == {"h.zip", "deep/out/smithbob/answers.toml", "deep/out/.grade/import.csv"}


def test_zip_over_the_total_bound_is_refused_whole(tmp_path: Path) -> None:
    source = as_zip(tmp_path / "c.zip", files_of("canvas"))
    with pytest.raises(DownloadError, match="more than 100 ; refusing it|zip bomb"):
        import_submissions(source, tmp_path / "out", limits=Limits(max_total_bytes=100))


def test_folder_symlinks_are_not_followed(tmp_path: Path) -> None:
    src = as_folder(tmp_path / "dl", {"smithbob_340934_208490284_answers.toml": b"ok"})
    secret = tmp_path / "secret.txt"
    secret.write_text("instructor only")
    os.symlink(secret, src / "smithbob_340934_208490284_model.py")
    os.symlink(tmp_path, src / "smithbob_340934_208490284_dir")
    report = import_submissions(src, tmp_path / "out")
    assert report.students == {"smithbob": ["answers.toml"]}
    assert "smithbob_340934_208490284_model.py: a symlink, not followed" in report.problems
    assert "smithbob_340934_208490284_dir: a symlink, not followed" in report.problems


@pytest.mark.parametrize("name", ["../x", "/x", "a/../../x", "C:/x", "..\\x", "", "a\x00b"])
def test_safe_path_refuses_names_that_climb(name: str) -> None:
    assert safe_path(name) is None


def test_cli_unknown_layout_is_one_line(tmp_path: Path) -> None:
    source = as_zip(tmp_path / "x.zip", {"notes.txt": b"x", "hw3.pdf": b"y"})
    result = CliRunner().invoke(main, ["import", str(source), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert result.stderr.strip() == (f"Error: {source}: not a Canvas, Moodle or Gradescope "
                                     "download (first files: notes.txt, hw3.pdf)")


def test_cli_import_json(tmp_path: Path) -> None:
    source = as_zip(tmp_path / "m.zip", files_of("moodle"))
    result = CliRunner().invoke(main, ["import", str(source), "--out", str(tmp_path / "out"),
                                       "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["lms"] == "Moodle"
    assert data["students"] == {"Ana_Lima": ["answers.toml", "code/model.py"],
                                "张三": ["answers.toml"]}


def test_a_students_own_zip_is_unpacked_safely(tmp_path: Path) -> None:
    """Canvas keeps an uploaded zip as one file (canvas-unzipper's `smithbob_..._BobsWork.zip`)."""
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr("hw3/answers.toml", b"answers")
        z.writestr("hw3/model.py", b"model")
        z.writestr("__MACOSX/hw3/._model.py", b"resource fork")
        z.writestr("../../escape.py", b"climbs")
    outer = as_zip(tmp_path / "c.zip", {"smithbob_340934_208490284_BobsWork.zip":
                                        inner.getvalue()})
    report = import_submissions(outer, tmp_path / "out")
    assert report.students == {"smithbob": ["answers.toml", "model.py"]}
    assert "smithbob: unpacked BobsWork.zip (2 files)" in report.notes
    assert any("../../escape.py: a path that leaves the folder" in p for p in report.problems)
    assert sorted(p.name for p in (tmp_path / "out" / "smithbob").iterdir()) == \
        ["answers.toml", "model.py"]
    assert not (tmp_path / "escape.py").exists()
