"""Any Presidio recognizer as a detector, and conversions between findings and Presidio results.

Recognizers come from ``presidio_analyzer.predefined_recognizers`` by class name
(``PresidioSettings.recognizers``) or from a Presidio recognizer-registry YAML file
(``PresidioSettings.config_file``: either the full registry format read by
``RecognizerRegistryProvider`` or the plain custom-recognizer list read by
``RecognizerRegistry.add_recognizers_from_yaml``).

Offline by construction:

* pattern recognizers run without an NLP engine (``nlp_artifacts=None``); an NLP engine is only
  built if a recognizer needs one (``SpacyRecognizer`` and friends), and then always with our own
  spaCy model (``NerSettings.model`` default), never Presidio's default ``en_core_web_lg``, which
  it would try to download;
* tldextract (used by Presidio's e-mail recognizer) is switched to its bundled public-suffix
  snapshot before Presidio is imported, so it never reaches for the network.

Presidio's entity names are ours (the catalogue follows Presidio), so results map through as they
are. A recognizer that fails or runs past the deadline fails the text closed (``BudgetExceeded``
or the exception), unlike Presidio, which skips a timed-out recognizer.
"""
from __future__ import annotations

import os

os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

from collections.abc import Iterable, Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

from detectors.base import Detector, check_deadline  # noqa: E402
from detectors.finding import TIER_MODEL, TIER_PATTERN, Finding  # noqa: E402
from detectors.settings import DEFAULT_NER_MODEL, PresidioSettings  # noqa: E402

LANGUAGE = "en"


def _offline_tldextract() -> None:
    """Make tldextract's module-level extractor use the bundled snapshot (no network), also when
    tldextract was imported before this module could set the environment."""
    try:
        import tldextract.tldextract as tx
    except ImportError:  # pragma: no cover - presidio depends on it
        return
    if getattr(tx.TLD_EXTRACTOR, "suffix_list_urls", ()) != ():
        tx.TLD_EXTRACTOR = tx.TLDExtract(suffix_list_urls=(), fallback_to_snapshot=True)


_offline_tldextract()


def _needs_nlp(recognizer) -> bool:
    from presidio_analyzer import PatternRecognizer
    return not isinstance(recognizer, PatternRecognizer)


def make_nlp_engine(model: str = DEFAULT_NER_MODEL):
    """A Presidio spaCy NlpEngine on our model (an installed package name or a path)."""
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    engine = NlpEngineProvider(nlp_configuration={
        "nlp_engine_name": "spacy",
        "models": [{"lang_code": LANGUAGE, "model_name": model}],
    }).create_engine()
    if not engine.is_loaded():
        engine.load()
    return engine


def predefined_recognizer(class_name: str):
    """An instance of a recognizer class from ``presidio_analyzer.predefined_recognizers``."""
    from presidio_analyzer import predefined_recognizers

    cls = getattr(predefined_recognizers, class_name, None)
    if cls is None or not isinstance(cls, type):
        known = sorted(n for n in dir(predefined_recognizers) if n.endswith("Recognizer"))
        raise ValueError(f"unknown Presidio recognizer {class_name!r}; known: {', '.join(known)}")
    return cls()


def recognizers_from_yaml(path: str | Path, nlp_engine=None) -> list:
    """Recognizers of a Presidio YAML file (full registry configuration or a custom list)."""
    from presidio_analyzer import RecognizerRegistry

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(path)
    try:
        from presidio_analyzer.recognizer_registry import RecognizerRegistryProvider
        registry = RecognizerRegistryProvider(conf_file=path, nlp_engine=nlp_engine).create_recognizer_registry()
    except Exception:  # noqa: BLE001 - not the full format: read it as a list of custom recognizers
        registry = RecognizerRegistry(supported_languages=[LANGUAGE])
        registry.add_recognizers_from_yaml(path)
    return [r for r in registry.recognizers if getattr(r, "supported_language", LANGUAGE) == LANGUAGE]


class PresidioDetector(Detector):
    """Runs Presidio recognizers over each text and reports their results as findings."""

    id = "presidio"
    cost = 60

    def __init__(self, recognizers: Sequence, *, nlp_model: str = DEFAULT_NER_MODEL,
                 nlp_engine=None, detector_id: str = "presidio") -> None:
        self.recognizers = list(recognizers)
        self.id = detector_id
        self.nlp_model = nlp_model
        self._nlp_engine = nlp_engine
        self._needs_nlp = any(_needs_nlp(r) for r in self.recognizers)

    @classmethod
    def from_names(cls, class_names: Iterable[str], **kw) -> "PresidioDetector":
        return cls([predefined_recognizer(n) for n in class_names], **kw)

    @classmethod
    def from_yaml(cls, path: str | Path, **kw) -> "PresidioDetector":
        return cls(recognizers_from_yaml(path), **kw)

    @classmethod
    def from_settings(cls, settings: PresidioSettings, nlp_model: str = DEFAULT_NER_MODEL) -> "PresidioDetector":
        recs = [predefined_recognizer(n) for n in settings.recognizers]
        if settings.config_file:
            recs.extend(recognizers_from_yaml(settings.config_file))
        return cls(recs, nlp_model=nlp_model)

    @property
    def entities(self) -> frozenset[str]:
        return frozenset(e for r in self.recognizers for e in r.supported_entities)

    @property
    def nlp_engine(self):
        if self._nlp_engine is None:
            self._nlp_engine = make_nlp_engine(self.nlp_model)
        return self._nlp_engine

    def detect(self, text: str, deadline: float) -> list[Finding]:
        artifacts = self.nlp_engine.process_text(text, LANGUAGE) if self._needs_nlp else None
        out: list[Finding] = []
        for rec in self.recognizers:
            check_deadline(deadline)
            if _needs_nlp(rec) and artifacts is None:
                continue
            results = rec.analyze(text, entities=list(rec.supported_entities), nlp_artifacts=artifacts) or []
            tier = TIER_MODEL if _needs_nlp(rec) else TIER_PATTERN
            out.extend(from_recognizer_results(results, f"{self.id}.{rec.name}", tier=tier))
        check_deadline(deadline)
        return out


def to_recognizer_results(findings: Iterable[Finding]) -> list:
    """Findings as Presidio ``RecognizerResult`` objects (for presidio-anonymizer)."""
    from presidio_analyzer import RecognizerResult

    return [RecognizerResult(entity_type=f.entity, start=f.start, end=f.end, score=f.score,
                             recognition_metadata={RecognizerResult.RECOGNIZER_NAME_KEY: f.detector,
                                                   RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: f.detector})
            for f in findings]


def from_recognizer_results(results: Iterable, detector_id: str, tier: int = TIER_MODEL) -> list[Finding]:
    """Presidio results (analyzer or anonymizer ``RecognizerResult``) as findings; zero-score and
    empty results are dropped."""
    out = []
    for r in results:
        if r.end <= r.start or r.score <= 0:
            continue
        out.append(Finding(int(r.start), int(r.end), str(r.entity_type), float(min(1.0, r.score)), detector_id, tier))
    return out
