"""The custom-id pack shown in README.md loads and behaves as the README says: users copy it."""
from __future__ import annotations

import re
import time
from pathlib import Path

from detectors.pack import load_pack
from detectors.pattern import PatternDetector

README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_pack(tmp_path: Path) -> Path:
    block = re.search(r"```yaml\n# my-ids\.yaml\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert block, "README.md lost its '# my-ids.yaml' example"
    path = tmp_path / "my-ids.yaml"
    path.write_text(block.group(1), encoding="utf-8")
    return path


def test_readme_pack_loads_and_its_examples_hold(tmp_path):
    pack = load_pack(_readme_pack(tmp_path))
    (rule,) = pack.rules
    assert rule.shape, "the README example shows the shape prefilter"
    det = PatternDetector([pack])
    for text in rule.examples.match:
        assert det.detect(text, time.monotonic() + 5), text
    for text in rule.examples.no_match:
        assert not det.detect(text, time.monotonic() + 5), text
