"""Builds the detector stack from settings: the one place that knows every detector class."""
from __future__ import annotations

import gc

from detectors.base import Detector
from detectors.lists import EntityLists
from detectors.pack import builtin_pack_paths, load_pack
from detectors.pattern import PatternDetector
from detectors.settings import DetectorSettings
from detectors.stack import DetectorStack


def build_detectors(settings: DetectorSettings) -> list[Detector]:
    disabled = set(settings.disable)
    packs = [load_pack(p) for p in [*map(str, builtin_pack_paths()), *settings.packs]]
    for pack in packs:
        pack.rules = [r for r in pack.rules if f"{pack.pack}.{r.id}" not in disabled and r.id not in disabled]
    detectors: list[Detector] = [PatternDetector(packs)]
    if "phone" not in disabled:
        from detectors.phone import PhoneDetector
        detectors.append(PhoneDetector())
    if "address" not in disabled:
        from detectors.address import AddressBlockDetector
        detectors.append(AddressBlockDetector())
    names_on = settings.names and "names" not in disabled
    if names_on:
        from detectors.names import NameDetector
        detectors.append(NameDetector())
    if settings.ner.mode != "off" and "ner" not in disabled:
        from detectors.ner import NerDetector
        detectors.append(NerDetector(settings.ner, defer_to_gazetteer=names_on))
    if names_on or settings.ner.mode != "off" and "ner" not in disabled:
        detectors.extend(_follow_on(disabled))
    if settings.presidio.recognizers or settings.presidio.config_file:
        from detectors.presidio_adapter import PresidioDetector
        detectors.append(PresidioDetector.from_settings(settings.presidio))
    return detectors


def _follow_on(disabled: set[str]) -> list[Detector]:
    """Detectors that read what the name gazetteer and NER found (``sees_prior``; they run after
    them, cost 110): a bare NANP number right after a PERSON, a UK / Canadian postcode right
    after a LOCATION. Without a name or place detector in the stack they have nothing to read."""
    out: list[Detector] = []
    if "phone" not in disabled and "phone_after_name" not in disabled:
        from detectors.phone import PhoneAfterNameDetector
        out.append(PhoneAfterNameDetector())
    if "address" not in disabled and "postcode_after_place" not in disabled:
        from detectors.address import PostcodeAfterPlaceDetector
        out.append(PostcodeAfterPlaceDetector())
    return out


def build_stack(settings: DetectorSettings | None = None) -> DetectorStack:
    """The configured stack, warmed up: ready to meet its time budget from the first text."""
    settings = settings or DetectorSettings()
    stack = DetectorStack(build_detectors(settings),
                          lists=EntityLists(allow=settings.allow_list, deny=settings.deny_list),
                          thresholds=settings.thresholds,
                          default_threshold=settings.default_threshold,
                          budget_ms=settings.budget_ms)
    stack.warm_up()
    # Detectors hold millions of long-lived objects (gazetteers, compiled rules, the spaCy model);
    # without this the cyclic GC rescans them all the time (measured: +25% on the pattern stage).
    gc.collect()
    gc.freeze()
    return stack


def pack_version(settings: DetectorSettings | None = None) -> str:
    """A short hash of every pack file and the detector settings: recorded in output headers so a
    consumer knows which rules scrubbed a record, and changes whenever a rule does."""
    import hashlib
    settings = settings or DetectorSettings()
    digest = hashlib.sha256(settings.model_dump_json().encode())
    for path in [*map(str, builtin_pack_paths()), *settings.packs]:
        with open(path, "rb") as fh:
            digest.update(fh.read())
    return digest.hexdigest()[:12]
