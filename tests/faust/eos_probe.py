"""Exactly-once experiment for the Faust runner on the real broker (not collected by pytest).

    PYTHONPATH=. python tests/faust/eos_probe.py [--messages 20000] [--kills 3] [--guarantee exactly_once]

Produces N JSON records with unique ids to a 3-partition input topic, runs the worker, kill -9's it
``--kills`` times mid-stream (restarting each time), lets the last run drain, then reads the output
and quarantine topics with a read_committed consumer and reports missing and duplicated ids."""
from __future__ import annotations

import argparse
import collections
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness as h  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=20000)
    ap.add_argument("--kills", type=int, default=3)
    ap.add_argument("--guarantee", default="exactly_once")
    ap.add_argument("--stop", choices=["kill9", "term"], default="kill9", help="how to stop the worker mid-stream")
    ap.add_argument("--kill-after", type=float, default=2.5, help="seconds of processing before each kill")
    args = ap.parse_args()
    h.check_broker()
    tin, tout, tq = h.unique("eos.in"), h.unique("eos.out"), h.unique("eos.q")
    h.create_topics([tin, tout, tq], partitions=3)
    work = Path(tempfile.mkdtemp(prefix="faust-eos-"))
    cfg = h.write_config(work / "topics.yaml", [{"name": "r", "input": tin, "output": tout,
                                                  "fields": {"scan": ["text"], "required": ["$.id"]}}],
                         guarantee=args.guarantee, quarantine=tq)
    values = [json.dumps({"id": i, "text": f"write to user{i}@example.com or call 555-{i % 10000:04d}"}).encode()
              for i in range(args.messages)]
    h.produce(tin, values, keys=[str(i).encode() for i in range(args.messages)])
    w = h.Worker(cfg, work, app_id=h.unique("eosapp").replace(".", "-"),
                 extra_env={"SCRUBBER_FAUST_EXPERIMENTAL_EXACTLY_ONCE": "1"} if args.guarantee == "exactly_once" else None)
    t0 = time.monotonic()
    for k in range(args.kills):
        w.start()
        w.wait_ready(90)
        time.sleep(args.kill_after)
        m = w.metrics()
        done = m.get('scrubber_messages_in_total{route="r"}')
        print(f"kill {k + 1}: in={done} at {time.monotonic() - t0:.1f}s", flush=True)
        if args.stop == "kill9":
            w.kill9()
        else:
            w.stop()
    w.start()
    w.wait_ready(90)
    recs = h.consume_all([tout, tq], expect=args.messages, timeout=240, idle=5)
    w.stop()
    ids = collections.Counter(int(m.key()) for m in recs)   # the key (the id) survives output and quarantine
    quarantined = collections.Counter(json.loads(m.value())["reason"] for m in recs if m.topic() == tq)
    uncommitted_view = len(h.consume_all([tout, tq], expect=None, timeout=15, isolation="read_uncommitted"))
    missing = [i for i in range(args.messages) if ids[i] == 0]
    dups = {i: n for i, n in ids.items() if n > 1}
    print(json.dumps({"guarantee": args.guarantee, "stop": args.stop, "messages": args.messages, "read": len(recs),
                      "quarantined": dict(quarantined), "records_incl_aborted": uncommitted_view, "missing": len(missing), "duplicated_ids": len(dups), "extra_records": sum(dups.values()) - len(dups),
                      "elapsed_s": round(time.monotonic() - t0, 1), "workdir": str(work)}))
    return 0 if not missing and not dups else 1


if __name__ == "__main__":
    sys.exit(main())
