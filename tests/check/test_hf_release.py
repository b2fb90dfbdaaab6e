"""--write-release of Hugging Face folders: the metadata describes the written data.

The fixtures are what ``datasets`` writes (``save_to_disk`` of a ``DatasetDict`` loaded by a
builder: sharded Arrow streams with ``huggingface`` schema metadata, ``state.json``,
``dataset_info.json`` with splits and download sizes), made with pyarrow so the tests do not need
``datasets``; ``test_datasets_loads_the_release`` runs ``load_from_disk`` when it is installed.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest

from check_helpers import run_check

FEATURES = {"query": {"dtype": "string", "_type": "Value"}, "user": {"dtype": "string", "_type": "Value"},
            "age": {"dtype": "int64", "_type": "Value"}, "label": {"names": ["neg", "pos"], "_type": "ClassLabel"}}
HF_METADATA = {b"huggingface": json.dumps({"info": {"features": FEATURES}}).encode()}


def _rows(n_common: int, rare: int) -> list[dict]:
    """``n_common`` records of a query issued by 6 users (kept), ``rare`` single-user queries
    (dropped as rare values)."""
    rows = [{"query": "weather tomorrow", "user": f"u{i % 6}", "age": 30 + i % 2, "label": i % 2} for i in range(n_common)]
    rows += [{"query": f"zx spectrum repair {i}", "user": f"u{i % 6}", "age": 30, "label": 0} for i in range(rare)]
    return rows


def _write_arrow(path: Path, rows: list[dict]) -> None:
    schema = pa.schema([("query", pa.string()), ("user", pa.string()), ("age", pa.int64()), ("label", pa.int64())],
                       metadata=HF_METADATA)
    with ipc.new_stream(str(path), schema) as w:
        w.write_table(pa.Table.from_pylist(rows, schema=schema))


def _split_folder(folder: Path, split: str | None, shards: list[list[dict]], splits: dict[str, int]) -> None:
    folder.mkdir(parents=True)
    names = [f"data-{i:05d}-of-{len(shards):05d}.arrow" for i in range(len(shards))]
    for name, rows in zip(names, shards):
        _write_arrow(folder / name, rows)
    (folder / "state.json").write_text(json.dumps({
        "_data_files": [{"filename": n} for n in names], "_fingerprint": "ac4ffe0aec59fbe2", "_format_columns": None,
        "_format_kwargs": {}, "_format_type": None, "_output_all_columns": False, "_split": split}, indent=2))
    (folder / "dataset_info.json").write_text(json.dumps({
        "builder_name": "json", "dataset_size": 999, "download_size": 1319, "size_in_bytes": 2318,
        "download_checksums": {"/data/raw.jsonl": {"num_bytes": 1319, "checksum": None}},
        "features": FEATURES,
        "splits": {name: {"name": name, "num_bytes": 500, "num_examples": n, "shard_lengths": None, "dataset_name": "json"}
                   for name, n in splits.items()}}, indent=2))


def make_dataset_dict(root: Path) -> Path:
    """``DatasetDict.save_to_disk``: train in two shards, test in one; every split's
    dataset_info lists both splits."""
    train, test = [_rows(6, 2), _rows(6, 1)], [_rows(6, 3)]
    splits = {"train": 16, "test": 9}
    _split_folder(root / "train", "train", train, splits)
    _split_folder(root / "test", "test", test, splits)
    (root / "dataset_dict.json").write_text(json.dumps({"splits": ["train", "test"]}))
    return root


def _table(path: Path) -> pa.Table:
    with pa.memory_map(str(path)) as src:
        return ipc.open_stream(src).read_all()


def _release(tmp_path: Path, config: Path, target: Path, name: str = "release") -> tuple[dict, Path]:
    out, rel = tmp_path / f"{name}.json", tmp_path / name
    run_check(config, target, "--user-field", "user", "--write-release", rel, "--json", out)
    return json.loads(out.read_text()), rel


def _feature_types_match(features: dict, schema: pa.Schema) -> bool:
    """What ``datasets`` checks when loading: each feature's Arrow type is the file's."""
    for name, feat in features.items():
        expected = pa.int64() if feat["_type"] == "ClassLabel" else pa.type_for_alias(feat["dtype"])
        if schema.field(name).type != expected:
            return False
    return True


def test_dataset_dict_release_metadata_describes_written_data(tmp_path: Path, config: Path) -> None:
    report, rel = _release(tmp_path, config, make_dataset_dict(tmp_path / "dd"))
    counts = {}
    for split in ("train", "test"):
        folder = rel / "dd" / split
        state = json.loads((folder / "state.json").read_text())
        tables = [_table(folder / f["filename"]) for f in state["_data_files"]]
        counts[split] = (sum(t.num_rows for t in tables), sum(t.nbytes for t in tables), [t.num_rows for t in tables])
        assert re.fullmatch(r"[0-9a-f]{16}", state["_fingerprint"]) and state["_fingerprint"] != "ac4ffe0aec59fbe2"
        for t in tables:  # the widened age column is a string in the Arrow data and in its HF metadata
            hf_features = json.loads(t.schema.metadata[b"huggingface"])["info"]["features"]
            assert t.schema.field("age").type == pa.string() and _feature_types_match(hf_features, t.schema)
    assert counts["train"][0] == 12 and counts["test"][0] == 6  # the rare queries were dropped
    for split in ("train", "test"):
        info = json.loads((rel / "dd" / split / "dataset_info.json").read_text())
        assert {n: (s["num_examples"], s["num_bytes"]) for n, s in info["splits"].items()} == \
            {n: c[:2] for n, c in counts.items()}
        assert info["splits"]["train"]["shard_lengths"] == counts["train"][2]
        assert info["dataset_size"] == info["size_in_bytes"] == counts["train"][1] + counts["test"][1]
        assert "download_size" not in info and "download_checksums" not in info
        assert info["features"]["age"] == {"dtype": "string", "_type": "Value"}
        first = json.loads((rel / "dd" / split / "state.json").read_text())["_data_files"][0]["filename"]
        assert _feature_types_match(info["features"], _table(rel / "dd" / split / first).schema)
    assert (rel / "dd" / "dataset_dict.json").read_text() == (tmp_path / "dd" / "dataset_dict.json").read_text()
    entry = next(f for f in report["release"]["files"] if f["path"] == "dd/train/dataset_info.json")
    assert "splits.train" in entry["updated"] and "download_size (removed)" in entry["updated"]


def test_same_release_same_fingerprint(tmp_path: Path, config: Path) -> None:
    source = make_dataset_dict(tmp_path / "dd")
    _, one = _release(tmp_path, config, source, "one")
    _, two = _release(tmp_path, config, source, "two")
    for split in ("train", "test"):
        assert (one / "dd" / split / "state.json").read_text() == (two / "dd" / split / "state.json").read_text()


def test_single_split_drops_absent_splits_and_unknown_split_is_left(tmp_path: Path, config: Path) -> None:
    _split_folder(tmp_path / "ds" / "named", "train", [_rows(6, 2)], {"train": 8, "test": 3})
    _split_folder(tmp_path / "ds" / "unnamed", None, [_rows(6, 2)], {"train": 8, "test": 3})
    (tmp_path / "ds" / "broken").mkdir()
    _write_arrow(tmp_path / "ds" / "broken" / "data-00000-of-00001.arrow", _rows(6, 0))
    (tmp_path / "ds" / "broken" / "dataset_info.json").write_text("{not json")
    report, rel = _release(tmp_path, config, tmp_path / "ds")
    named = json.loads((rel / "ds" / "named" / "dataset_info.json").read_text())
    assert list(named["splits"]) == ["train"] and named["splits"]["train"]["num_examples"] == 6
    unnamed = json.loads((rel / "ds" / "unnamed" / "dataset_info.json").read_text())
    assert unnamed["splits"]["train"]["num_examples"] == 8  # no split name: counts cannot be assigned
    assert unnamed["features"]["age"]["dtype"] == "string"  # but the features are still right
    files = {f["path"]: f for f in report["release"]["files"]}
    assert "splits (not updated: state.json names no split)" in files["ds/unnamed/dataset_info.json"]["updated"]
    assert files["ds/broken/dataset_info.json"] == {"path": "ds/broken/dataset_info.json", "copied": True,
                                                     "note": "not a JSON object"}


def test_parquet_shards_hf_features_follow_widened_columns(tmp_path: Path, config: Path) -> None:
    (tmp_path / "pq" / "data").mkdir(parents=True)
    schema = pa.schema([("query", pa.string()), ("user", pa.string()), ("age", pa.int64()), ("label", pa.int64())],
                       metadata=HF_METADATA)
    pq.write_table(pa.Table.from_pylist(_rows(6, 2), schema=schema), tmp_path / "pq" / "data" / "train-00000-of-00001.parquet")
    _, rel = _release(tmp_path, config, tmp_path / "pq")
    out = pq.read_schema(rel / "pq" / "data" / "train-00000-of-00001.parquet")
    assert _feature_types_match(json.loads(out.metadata[b"huggingface"])["info"]["features"], out)
    assert pq.read_table(rel / "pq" / "data" / "train-00000-of-00001.parquet").num_rows == 6


def test_datasets_loads_the_release(tmp_path: Path, config: Path) -> None:
    datasets = pytest.importorskip("datasets")
    _, rel = _release(tmp_path, config, make_dataset_dict(tmp_path / "dd"))
    loaded = datasets.load_from_disk(str(rel / "dd"))
    assert {s: d.num_rows for s, d in loaded.items()} == {"train": 12, "test": 6}
    assert {s: d.info.splits[s].num_examples for s, d in loaded.items()} == {"train": 12, "test": 6}


# --- ClassLabel columns widened to strings keep their meaning ---------------------------------------

def _shard(tmp_path: Path, rows: list[dict]) -> Path:
    """A one-file folder; with ``--user-field user`` its label column is scanned, so widened."""
    (tmp_path / "ds").mkdir()
    _write_arrow(tmp_path / "ds" / "data-00000-of-00001.arrow", rows)
    return tmp_path / "ds"


def _released_table(tmp_path: Path, config: Path, source: Path, *extra: str) -> pa.Table:
    rel = tmp_path / "release"
    run_check(config, source, "--user-field", "user", "--write-release", rel, *extra)
    return _table(rel / "ds" / "data-00000-of-00001.arrow")


def test_widened_class_labels_are_written_as_their_names(tmp_path: Path, config: Path) -> None:
    table = _released_table(tmp_path, config, _shard(tmp_path, _rows(6, 0)))
    assert table.column("label").to_pylist() == ["neg", "pos"] * 3
    features = json.loads(table.schema.metadata[b"huggingface"])["info"]["features"]
    assert features["label"] == {"dtype": "string", "_type": "Value"} and table.schema.field("label").type == pa.string()


def test_dataset_info_describes_the_label_names_as_strings(tmp_path: Path, config: Path) -> None:
    report, rel = _release(tmp_path, config, make_dataset_dict(tmp_path / "dd"))
    info = json.loads((rel / "dd" / "train" / "dataset_info.json").read_text())
    assert info["features"]["label"] == {"dtype": "string", "_type": "Value"}
    assert "class labels written as their names" in report["release"]["note"]


def test_a_plain_integer_column_is_written_as_digits(tmp_path: Path, config: Path) -> None:
    rows = [{**row, "age": 30} for row in _rows(6, 0)]   # one age: a class of 6, not k-suppressed
    table = _released_table(tmp_path, config, _shard(tmp_path, rows))
    assert table.column("age").to_pylist() == ["30"] * 6   # no ClassLabel feature: no names


def test_an_index_outside_the_names_keeps_its_digits(tmp_path: Path, config: Path) -> None:
    rows = [{**row, "label": -1 if i == 0 else 1} for i, row in enumerate(_rows(6, 0))]   # -1: "no label"
    table = _released_table(tmp_path, config, _shard(tmp_path, rows))
    assert table.column("label").to_pylist() == ["-1"] + ["pos"] * 5


def test_a_class_label_column_that_is_not_widened_stays_a_class_label(tmp_path: Path, config: Path) -> None:
    table = _released_table(tmp_path, config, _shard(tmp_path, _rows(6, 0)), "--skip", "label")
    assert table.column("label").to_pylist() == [0, 1] * 3 and table.schema.field("label").type == pa.int64()
    features = json.loads(table.schema.metadata[b"huggingface"])["info"]["features"]
    assert features["label"] == FEATURES["label"]


def test_parquet_class_labels_are_written_as_their_names(tmp_path: Path, config: Path) -> None:
    (tmp_path / "pq").mkdir()
    schema = pa.schema([("query", pa.string()), ("user", pa.string()), ("age", pa.int64()), ("label", pa.int64())],
                       metadata=HF_METADATA)
    pq.write_table(pa.Table.from_pylist(_rows(6, 0), schema=schema), tmp_path / "pq" / "train.parquet")
    _, rel = _release(tmp_path, config, tmp_path / "pq")
    assert pq.read_table(rel / "pq" / "train.parquet").column("label").to_pylist() == ["neg", "pos"] * 3
