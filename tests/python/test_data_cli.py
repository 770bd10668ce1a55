"""`vlq data` / `vlq demo` end to end: statistics, byte-identical rebuilds, one-line errors with
non-zero exit and no partial output for bad inputs."""
from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import pytest

from _data_support import CALIB_DIR, DATA_ROOT, MODEL_DIR, vlq_cli

SMALL = CALIB_DIR / "coco2017_captions_small.txt"  # 16 captions


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([vlq_cli(), *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def data_args(source_flag: str, source: Path, out: Path) -> list[str]:
    return ["data", "--model", str(MODEL_DIR), source_flag, str(source), "--max-samples", "8",
            "--eval-samples", "4", "--eval-holdout", "4", "--batch-size", "3", "--shuffle", "--seed", "5",
            "--out", str(out)]


def files_of(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def test_rebuild_is_byte_identical(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    r1 = run(*data_args("--captions", SMALL, first))
    assert r1.returncode == 0, r1.stderr
    assert "calibration loader: 8 samples in 3 batches" in r1.stdout
    assert "tokens per sample: min" in r1.stdout and "padding:" in r1.stdout
    r2 = run(*data_args("--captions", SMALL, second))
    assert r2.returncode == 0, r2.stderr
    a, b = files_of(first), files_of(second)
    assert sorted(a) == ["calib/manifest.json", "calib/shard-00000.bin", "eval/manifest.json", "eval/shard-00000.bin"]
    assert a == b
    # Rebuilding over an existing output gives the same bytes again.
    assert run(*data_args("--captions", SMALL, first)).returncode == 0
    assert files_of(first) == b


def test_db_statistics_report_duplicates(tmp_path):
    r = run("data", "--model", str(MODEL_DIR), "--calib-db", str(CALIB_DIR / "coco2017_vlm_calib.db"))
    assert r.returncode == 0, r.stderr
    assert "4096 samples read, 4096 duplicates dropped" in r.stdout


def _bad_db_without_table(path: Path) -> Path:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE other (x INTEGER)")
    return path


@pytest.mark.parametrize(
    "case",
    ["invalid_utf8", "missing_file", "malformed_jsonl", "not_a_db", "db_without_table", "malformed_coco_json"],
)
def test_bad_input_is_a_one_line_error_without_output(tmp_path, case):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    if case == "invalid_utf8":
        source = inputs / "captions.txt"
        source.write_bytes(b"a dog\na cat\nbad \xff\xfe byte\n")
        flag, expected = "--captions", f"{source}: line 3: invalid UTF-8 at byte 5 of the line"
    elif case == "missing_file":
        source = inputs / "nope.txt"
        flag, expected = "--captions", f"{source}: file not found"
    elif case == "malformed_jsonl":
        source = inputs / "eval.jsonl"
        source.write_text('{"caption": "a dog"}\n{"caption": "a cat"\n')
        flag, expected = "--jsonl", f"{source}: line 2: malformed JSON"
    elif case == "not_a_db":
        source = inputs / "calib.db"
        source.write_bytes(b"this is not sqlite" * 300)
        flag, expected = "--calib-db", f"{source}: not a SQLite database"
    elif case == "db_without_table":
        source = _bad_db_without_table(inputs / "calib.db")
        flag, expected = "--calib-db", f"{source}: no table 'vlm_calib_samples'"
    else:
        source = inputs / "captions_val2017.json"
        source.write_text('{"images": [], "annotations": [')
        flag, expected = "--coco-json", f"{source}: malformed JSON"
    out = tmp_path / "out"
    r = run(*data_args(flag, source, out))
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith(f"vlq: error: {expected}"), lines[0]
    assert not out.exists() or not any(out.rglob("*"))


def test_missing_data_root_says_what_to_pass(tmp_path):
    r = run("data", "--data-root", str(tmp_path / "absent"))
    assert r.returncode == 1
    assert "--model DIR" in r.stderr and len(r.stderr.strip().splitlines()) == 1
