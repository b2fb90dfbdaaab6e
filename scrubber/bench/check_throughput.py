"""Release-check throughput: MB/s per core with NER gated and off.

    python -m scrubber.bench.check_throughput [--size-mb 1024] [--jobs 1] [--modes gated,off]
                                              [--no-cache | --ner-cache N --detection-cache N]
                                              [--uncached-mb 2]

Builds a plain-text corpus (one text per line) by repeating the ``text`` field of the shared
bench workload (queries-chats-7k.jsonl) up to ``--size-mb``, under the project's .local/bench/
(git-ignored; reused when present), then times the whole ``scrubber check`` pipeline on it:
reading, detection, fingerprints, aggregation and the JSON report. Target: >= 5 MB/s per core
with NER gated.

Two figures, and which is which:

* **caches on** (the main line; the shipped defaults, what ``scrubber check`` does): the check's
  per-distinct-text cache (100,000 texts) and NER's sentence cache (50,000 sentences). The corpus
  repeats 7,000 distinct texts, so after the first pass the caches answer every text: this figure
  measures the check's own per-record cost (reading, counting, aggregation) plus detecting 7,000
  texts once. Real query logs repeat heavily too (AOL's did), but less than this corpus.
* **caches off** (``--uncached-mb``, on a smaller corpus because it is ~30x slower): every record
  is detected and fingerprinted as if it were new; the cost on text that never repeats, which
  is bound by the detectors. The detector stack alone is timed on the same texts, so the
  difference is the check's own cost. ``--no-cache`` turns the caches off for the main line too.

A benchmark, not a test: figures depend on the machine. MB per CPU-second is printed next to
wall-clock MB/s because wall-clock figures on a shared machine measure the neighbours too.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data" / "bench" / "queries-chats-7k.jsonl"
LOCAL = ROOT / ".local" / "bench"
TARGET_MB_S = 5.0


def build_corpus(source: Path, size_mb: int, out_dir: Path = LOCAL) -> Path:
    """Repeat the workload's texts until ``size_mb`` MiB; the file is reused if it exists."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"check-corpus-{size_mb}mb.txt"
    target = size_mb * 1024 * 1024
    if path.exists() and path.stat().st_size >= target:
        return path
    with source.open(encoding="utf-8") as fh:
        texts = [" ".join(json.loads(line)["text"].split()) for line in fh if line.strip()]
    block = ("\n".join(texts) + "\n").encode("utf-8")
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as out:
        written = 0
        while written < target:
            out.write(block)
            written += len(block)
    tmp.replace(path)
    return path


def _cpu_seconds() -> float:
    """CPU time of this process and its finished workers: on a shared machine, MB per CPU-second
    is the per-core figure that other load does not distort (wall-clock MB/s is printed too)."""
    import resource
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def shipped_caches() -> tuple[int, int]:
    """(NER sentence cache, check detection cache) as ``scrubber check`` runs by default."""
    from detectors.settings import NerSettings
    from scrubber.check.runner import CheckOptions
    return NerSettings().cache_size, CheckOptions(paths=[]).detection_cache


def measure(corpus: Path, ner: str, jobs: int, ner_cache: int, detection_cache: int) -> dict:
    from detectors.settings import DetectorSettings
    from scrubber.check.report import to_json
    from scrubber.check.runner import CheckOptions, run_check
    from scrubber.keys import KeyRing

    settings = DetectorSettings(ner={"mode": ner, "cache_size": ner_cache})
    opts = CheckOptions(paths=[corpus], detectors=settings, keys=KeyRing(), jobs=jobs, progress=False,
                        detection_cache=detection_cache)
    cpu0 = _cpu_seconds()
    start = time.perf_counter()
    report = run_check(opts)
    to_json(report)
    elapsed = time.perf_counter() - start
    cpu = _cpu_seconds() - cpu0
    mb = corpus.stat().st_size / 1e6
    return {"ner": ner, "jobs": jobs, "ner_cache": ner_cache, "detection_cache": detection_cache,
            "mb": round(mb, 1), "records": report["summary"]["records"],
            "seconds": round(elapsed, 1), "cpu_seconds": round(cpu, 1), "mb_s": round(mb / elapsed, 2),
            "mb_s_per_core": round(mb / elapsed / jobs, 2), "mb_per_cpu_s": round(mb / cpu, 2) if cpu else None,
            "scan_failures": report["summary"]["scan_failures"], "findings": report["summary"]["findings"],
            "peak_rss_mb": _peak_rss_mb()}


def _peak_rss_mb() -> int:
    """This process's peak resident memory so far (the check streams: it should not grow with
    the corpus, only with the bounded caches)."""
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def measure_stack(corpus: Path, ner: str) -> float:
    """MB per CPU-second of the detector stack alone (no caches) on the whole ``corpus``: what the
    check's own work (reading, fingerprints, masking, aggregation) costs on top of detection."""
    from detectors.registry import build_stack
    from detectors.settings import DetectorSettings
    stack = build_stack(DetectorSettings(ner={"mode": ner, "cache_size": 0}))
    with corpus.open(encoding="utf-8") as fh:
        texts = [line.rstrip("\n") for line in fh]
    stack.detect_batch(texts[:64])  # lazy loads out of the timing
    cpu0 = _cpu_seconds()
    for i in range(0, len(texts), 256):
        stack.detect_batch(texts[i:i + 256])
    return round(corpus.stat().st_size / 1e6 / (_cpu_seconds() - cpu0), 2)


def _line(label: str, row: dict, target: bool) -> str:
    per_core = row["mb_per_cpu_s"] or row["mb_s_per_core"]
    verdict = f"; {'meets' if per_core >= TARGET_MB_S else 'below'} the {TARGET_MB_S:g} MB/s target" if target else ""
    return (f"{label}: {per_core:6.2f} MB per CPU-second; wall {row['mb_s_per_core']:.2f} MB/s per core "
            f"({row['mb_s']:.2f} MB/s with {row['jobs']} job(s), {row['records']} records of {row['mb']} MB in "
            f"{row['seconds']} s, {row['cpu_seconds']} CPU-s, peak RSS {row['peak_rss_mb']} MB){verdict}")


def main(argv: list[str] | None = None) -> int:
    ner_default, detection_default = shipped_caches()
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size-mb", type=int, default=1024, help="corpus size in MiB (default 1024 = 1 GB)")
    ap.add_argument("--jobs", type=int, default=1, help="worker processes (MB/s is divided by this)")
    ap.add_argument("--modes", default="gated,off", help="NER modes to time, comma-separated")
    ap.add_argument("--ner-cache", type=int, default=ner_default,
                    help=f"NER sentence cache size (default {ner_default}, as shipped)")
    ap.add_argument("--detection-cache", type=int, default=detection_default,
                    help=f"the check's per-distinct-text cache (default {detection_default}, as shipped)")
    ap.add_argument("--no-cache", action="store_true", help="both caches off for the main line too")
    ap.add_argument("--uncached-mb", type=int, default=2,
                    help="also time the check with both caches off, and the detector stack alone, on a "
                         "corpus of this many MiB (default 2; 0: skip)")
    ap.add_argument("--source", type=Path, default=SHARED)
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args(argv)
    if args.no_cache:
        args.ner_cache = args.detection_cache = 0
    os.environ.pop("SCRUBBER_PSEUDONYM_KEY", None)  # the per-run key path is the one timed
    corpus = build_corpus(args.source, args.size_mb)
    small = build_corpus(args.source, args.uncached_mb) if args.uncached_mb > 0 else None
    print(f"corpus: {corpus} ({corpus.stat().st_size / 1e6:.1f} MB), cores: {os.cpu_count()}", file=sys.stderr)
    caches = (f"caches on (detection {args.detection_cache}, NER {args.ner_cache})"
              if args.detection_cache or args.ner_cache else "caches off")
    rows = []
    for mode in [m.strip() for m in args.modes.split(",") if m.strip()]:
        row = measure(corpus, mode, args.jobs, args.ner_cache, args.detection_cache)
        print(_line(f"NER {mode:>5}, {caches}", row, mode == "gated"))
        if small is not None:
            row["uncached"] = measure(small, mode, 1, 0, 0)
            row["uncached"]["stack_only_mb_per_cpu_s"] = measure_stack(small, mode)
            print(_line(f"NER {mode:>5}, caches off (every text detected)", row["uncached"], False)
                  + f"; detector stack alone: {row['uncached']['stack_only_mb_per_cpu_s']} MB per CPU-second")
        rows.append(row)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
