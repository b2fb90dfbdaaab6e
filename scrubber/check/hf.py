"""Hugging Face metadata in a ``--write-release`` copy, rewritten to describe the written data.

A ``save_to_disk`` folder holds, next to its ``data-*.arrow`` files, ``state.json`` (the data files,
the split and a fingerprint) and ``dataset_info.json`` (features, and per split ``num_examples`` and
``num_bytes``; ``dataset_size``, ``size_in_bytes``, and the source download's size and checksums).
A release drops records (rare values, identifiable users, small k-anonymity classes) and widens
scanned numeric columns to strings, so copied as they were these files would be wrong, and
``datasets.load_from_disk`` refuses a folder whose features do not match its Arrow files.

What is rewritten, and why:

* ``features`` of widened columns become ``Value("string")``, in ``dataset_info.json`` and in the
  ``huggingface`` schema metadata of the Arrow/Parquet files (what ``datasets`` reads for files
  loaded without a ``dataset_info.json``). A widened ``ClassLabel`` column is written as its label
  names (``class_labels``): its integers meant something only through the feature's ``names``,
  which a string feature no longer carries;
* ``splits``: ``num_examples`` and ``num_bytes`` (Arrow bytes, as ``datasets`` counts them) from
  what was written, ``shard_lengths`` per data file; splits that are not in the release are
  removed; ``dataset_size`` and ``size_in_bytes`` are their sum;
* ``download_size`` and ``download_checksums`` describe the raw source download, not the release:
  removed;
* ``state.json``: a new ``_fingerprint`` (a hash of the written data files, so the same release
  gets the same one, and caches keyed by the old one never match), and no ``_indices_data_files``
  (the release writes the kept rows in order; an indices mapping of the original would point at
  rows that are gone).

Files that are not JSON objects are copied unchanged, and the report says so.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

STRING_FEATURE = {"dtype": "string", "_type": "Value"}
HF_KEY = b"huggingface"
STATE = "state.json"
DATASET_DICT = "dataset_dict.json"


@dataclass(frozen=True)
class WrittenTable:
    """An Arrow or Parquet file of the release: rows and Arrow bytes written, widened columns."""

    rows: int
    nbytes: int
    widened: frozenset[str]


def _hf_features(metadata: dict[bytes, bytes] | None) -> tuple[dict, dict] | None:
    """(the ``huggingface`` schema metadata, its features), or None when there is none or it is
    not the layout ``datasets`` writes (then there is nothing to read or update)."""
    if not metadata or HF_KEY not in metadata:
        return None
    try:
        hf = json.loads(metadata[HF_KEY])
        features = hf["info"]["features"]
    except (ValueError, KeyError, TypeError):
        return None
    return (hf, features) if isinstance(features, dict) else None


def class_labels(metadata: dict[bytes, bytes] | None) -> dict[str, list[str]]:
    """Column -> label names of the top-level ``ClassLabel`` features in Arrow schema metadata."""
    found = _hf_features(metadata)
    if found is None:
        return {}
    return {col: feature["names"] for col, feature in found[1].items()
            if isinstance(feature, dict) and feature.get("_type") == "ClassLabel"
            and isinstance(feature.get("names"), list) and all(isinstance(n, str) for n in feature["names"])}


def schema_metadata(metadata: dict[bytes, bytes] | None, widened: set[str]) -> dict[bytes, bytes] | None:
    """Arrow schema metadata with the ``huggingface`` features of widened columns set to string."""
    found = _hf_features(metadata) if widened else None
    if found is None:
        return metadata
    hf, features = found
    for col in widened & features.keys():
        features[col] = dict(STRING_FEATURE)
    return {**metadata, HF_KEY: json.dumps(hf).encode()}


def write_metadata(src_path: Path, rel: str, out_dir: Path, tables: dict[str, WrittenTable]) -> dict:
    """Write the release's copy of one metadata file (``rel`` inside ``out_dir``); returns what
    was done, for the report."""
    dest = out_dir / rel
    name = PurePosixPath(rel).name
    data = _read_json(src_path)
    if name == DATASET_DICT or data is None:
        shutil.copyfile(src_path, dest)
        return {"path": rel, "copied": True, **({} if data is not None else {"note": "not a JSON object"})}
    folder = PurePosixPath(rel).parent
    if name == STATE:
        changed = _update_state(data, folder, out_dir, tables)
    else:
        changed = _update_info(data, src_path.parent, folder, tables)
    if not changed:
        shutil.copyfile(src_path, dest)  # already true of the release: keep it byte for byte
        return {"path": rel, "copied": True}
    dest.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return {"path": rel, "updated": changed}


def _data_files(state: dict, folder: PurePosixPath) -> list[str] | None:
    files = state.get("_data_files")
    if not isinstance(files, list) or not all(isinstance(f, dict) and isinstance(f.get("filename"), str) for f in files):
        return None
    return [(folder / f["filename"]).as_posix() for f in files]


def _update_state(state: dict, folder: PurePosixPath, out_dir: Path, tables: dict[str, WrittenTable]) -> list[str]:
    changed = []
    files = _data_files(state, folder)
    if files and all(f in tables for f in files) and "_fingerprint" in state:
        state["_fingerprint"] = _content_hash(out_dir, files)
        changed.append("_fingerprint")
    if state.pop("_indices_data_files", None) is not None:
        changed.append("_indices_data_files (removed)")
    return changed


def _content_hash(out_dir: Path, files: list[str]) -> str:
    """16 hex digits, like ``datasets``' own fingerprints, of the written data files (by name
    inside their folder, so the release folder's own name does not change it)."""
    digest = hashlib.sha256()
    for rel in files:
        digest.update(PurePosixPath(rel).name.encode() + b"\0")
        with (out_dir / rel).open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()[:16]


def _update_info(info: dict, src_folder: Path, folder: PurePosixPath, tables: dict[str, WrittenTable]) -> list[str]:
    changed = []
    own = _split_files(src_folder, folder, tables)
    own_files = own[1] if own else [f for f in tables if PurePosixPath(f).parent == folder]
    widened = frozenset().union(*(tables[f].widened for f in own_files))
    features = info.get("features")
    if isinstance(features, dict) and widened & features.keys():
        for col in sorted(widened & features.keys()):
            features[col] = dict(STRING_FEATURE)
        changed.append("features")
    if isinstance(info.get("splits"), dict):
        changed += _update_splits(info, _release_splits(src_folder, folder, tables, own), tables)
    for key in ("download_size", "download_checksums"):
        if info.pop(key, None) is not None:
            changed.append(f"{key} (removed)")
    return changed


def _update_splits(info: dict, splits: dict[str, list[str]] | None, tables: dict[str, WrittenTable]) -> list[str]:
    """Counts of the splits in the release; the others removed. ``splits`` None: the folder's
    own split is unknown, so nothing can be said about any of them."""
    if splits is None:
        return ["splits (not updated: state.json names no split)"]
    changed = []
    for name in list(info["splits"]):
        entry = info["splits"][name]
        if name not in splits or not isinstance(entry, dict):
            del info["splits"][name]
            changed.append(f"splits.{name} (removed: not in the release)")
            continue
        written = [tables[f] for f in splits[name]]
        entry["num_examples"] = sum(t.rows for t in written)
        entry["num_bytes"] = sum(t.nbytes for t in written)
        if "shard_lengths" in entry:
            entry["shard_lengths"] = [t.rows for t in written] if len(written) > 1 else None
        changed.append(f"splits.{name}")
    total = sum(e["num_bytes"] for e in info["splits"].values())
    for key in ("dataset_size", "size_in_bytes"):
        if key in info:
            info[key] = total
            changed.append(key)
    return changed


def _release_splits(src_folder: Path, folder: PurePosixPath, tables: dict[str, WrittenTable],
                    own: tuple[str | None, list[str]] | None) -> dict[str, list[str]] | None:
    """Split name -> its written data files, for the ``dataset_info.json`` in ``folder``: its own
    split and, in a ``DatasetDict`` (folders named by split), the sibling splits. None when the
    own split has no name (``_split`` null outside a ``DatasetDict``)."""
    in_dict = (src_folder.parent / DATASET_DICT).is_file()
    if own is None or (own[0] is None and not in_dict):
        return None
    out = {own[0] or src_folder.name: own[1]}
    if in_dict:
        for name in _dict_splits(src_folder.parent / DATASET_DICT):
            sibling = _split_files(src_folder.parent / name, folder.parent / name, tables)
            if sibling is not None and (sibling[0] or name) == name:
                out.setdefault(name, sibling[1])
    return out


def _split_files(src_folder: Path, folder: PurePosixPath, tables: dict[str, WrittenTable]) -> tuple[str | None, list[str]] | None:
    """(``_split``, written data files) of one ``save_to_disk`` folder, or None when it has no
    readable state or its data files were not all written."""
    state = _read_json(src_folder / STATE)
    if state is None:
        return None
    files = _data_files(state, folder)
    if not files or not all(f in tables for f in files):
        return None
    split = state.get("_split")
    return (split if isinstance(split, str) else None), files


def _dict_splits(path: Path) -> list[str]:
    data = _read_json(path)
    splits = data.get("splits") if data else None
    return [s for s in splits if isinstance(s, str)] if isinstance(splits, list) else []


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) else None
