from detectors.finding import Finding
from scrubber.evaluate import Counts, Span, evaluate, format_report, match_spans, to_category


def rec(text, *spans, rid="r"):
    return {"id": rid, "text": text,
            "spans": [{"start": s, "end": e, "label": lab} for s, e, lab in spans]}


def test_category_mapping():
    assert to_category("PHONE_NUMBER") == "PHONE"
    assert to_category("PHONE") == "PHONE"
    assert to_category("STREET_ADDRESS") == "ADDRESS"
    assert to_category("US_SSN") == "SSN"
    assert to_category("MY_CUSTOM_ID") == "ID_NUMBER"


def test_exact_and_overlap():
    gold = [rec("call John Smith at 555", (5, 15, "PERSON"), (19, 22, "PHONE"))]
    pred = [[Finding(5, 9, "PERSON", 0.8, "ner"), Finding(19, 22, "PHONE_NUMBER", 0.9, "phone")]]
    ov = evaluate(gold, pred, matching="overlap")
    assert (ov.micro.tp, ov.micro.fp, ov.micro.fn) == (2, 0, 0)
    ex = evaluate(gold, pred, matching="exact")
    assert (ex.per_label["PERSON"].tp, ex.per_label["PERSON"].fp, ex.per_label["PERSON"].fn) == (0, 1, 1)
    assert ex.per_label["PHONE"].tp == 1


def test_one_to_one_greedy_by_overlap():
    gold = [Span(0, 10, "PERSON")]
    pred = [Span(0, 4, "PERSON"), Span(5, 10, "PERSON")]
    assert match_spans(gold, pred, "overlap-1to1") == [(0, 1)]   # the larger overlap wins
    r = evaluate([rec("x" * 10, (0, 10, "PERSON"))], [pred], matching="overlap-1to1")
    assert (r.micro.tp, r.micro.fp, r.micro.fn) == (1, 1, 0)
    # one prediction over two gold names: one hit, one miss
    r = evaluate([rec("x" * 20, (0, 5, "PERSON"), (6, 12, "PERSON"))], [[Span(0, 12, "PERSON")]],
                 matching="overlap-1to1")
    assert (r.micro.tp, r.micro.fp, r.micro.fn) == (1, 0, 1)


def test_overlap_counts_gold_covered_and_predictions_on_gold():
    pred = [Span(0, 4, "PERSON"), Span(5, 10, "PERSON"), Span(12, 14, "PERSON")]
    r = evaluate([rec("x" * 20, (0, 10, "PERSON"))], [pred])
    assert (r.micro.tp, r.micro.correct_predictions, r.micro.fp, r.micro.fn) == (1, 2, 1, 0)
    assert r.micro.precision == 2 / 3 and r.micro.recall == 1.0
    # one address predicted whole, annotated in pieces: every piece is covered
    r = evaluate([rec("x" * 30, (0, 2, "ADDRESS"), (3, 15, "ADDRESS"), (20, 25, "ADDRESS"))],
                 [[Span(0, 25, "ADDRESS")]])
    assert (r.micro.tp, r.micro.fn, r.micro.precision) == (3, 0, 1.0)


def test_label_must_match_but_any_label_view_does_not():
    r = evaluate([rec("Paris", (0, 5, "LOCATION"))], [[Finding(0, 5, "PERSON", 0.8, "ner")]])
    assert (r.per_label["LOCATION"].fn, r.micro.tp) == (1, 0)
    # PERSON is not a label of this corpus: the prediction is set aside, not a false positive
    assert r.micro.fp == 0 and r.ignored_predictions["PERSON"] == 1
    assert r.any_label.tp == 0
    r = evaluate([rec("Paris", (0, 5, "LOCATION"))], [[Finding(0, 5, "PERSON", 0.8, "ner")]],
                 labels=["PERSON", "LOCATION"])
    assert (r.micro.tp, r.micro.fp, r.micro.fn) == (0, 1, 1)
    assert r.any_label.tp == 1


def test_labels_restriction_ignores_gold_outside():
    gold = [rec("Dr. Smith", (0, 3, "OTHER"), (4, 9, "PERSON"))]
    r = evaluate(gold, [[Finding(4, 9, "PERSON", 0.8, "ner")]], labels=["PERSON"])
    assert (r.micro.tp, r.micro.fp, r.micro.fn) == (1, 0, 0)
    r = evaluate(gold, [[Finding(4, 9, "PERSON", 0.8, "ner")]])
    assert r.per_label["OTHER"].fn == 1


def test_scores_and_failed_records():
    c = Counts(tp=8, fp=2, fn=2)
    assert abs(c.precision - 0.8) < 1e-9 and abs(c.recall - 0.8) < 1e-9
    assert abs(c.f2 - 0.8) < 1e-9
    c = Counts(tp=1, fp=0, fn=3)      # p=1, r=.25 -> F2 = 5*.25/(4+.25)
    assert abs(c.f2 - 5 * 0.25 / 4.25) < 1e-9
    assert Counts().f2 == 0.0
    r = evaluate([rec("a", (0, 1, "PERSON"))], [None])
    assert r.failed_records == 1 and r.micro.fn == 1


def test_report_dict_and_table():
    r = evaluate([rec("John", (0, 4, "PERSON"))], [[{"start": 0, "end": 4, "label": "PERSON"}]])
    d = r.to_dict()
    assert d["micro"]["tp"] == 1 and d["per_label"]["PERSON"]["f2"] == 1.0
    table = format_report(r)
    assert "PERSON" in table and "micro" in table and "\x1b" not in table


def test_evaluate_stack_runs_batches():
    from detectors.stack import DetectorStack
    from detectors.base import Detector

    class Fixed(Detector):
        id = "fixed"

        def detect(self, text, deadline):
            i = text.find("John")
            return [Finding(i, i + 4, "PERSON", 0.9, self.id)] if i >= 0 else []

    from scrubber.evaluate import evaluate_stack
    recs = [rec("hi John", (3, 7, "PERSON"), rid=str(i)) for i in range(5)] + [rec("nothing")]
    r = evaluate_stack(DetectorStack([Fixed()]), recs, batch_size=2)
    assert (r.micro.tp, r.micro.fp, r.micro.fn) == (5, 0, 0)
