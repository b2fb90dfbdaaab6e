import time

from detectors.names import NameDetector, gazetteer

FAR = time.monotonic() + 3600
DET = NameDetector()


def persons(text):
    return [text[f.start:f.end] for f in DET.detect(text, FAR) if f.entity == "PERSON"]


def places(text):
    return [text[f.start:f.end] for f in DET.detect(text, FAR) if f.entity == "LOCATION"]


def test_gazetteer_name_likeness():
    gaz = gazetteer()
    for w in ("karen", "john", "emma", "ryan"):
        assert w in gaz.first_like
    for w in ("will", "may", "hope", "summer", "the", "mark"):
        assert w not in gaz.first_like
    assert "wiggins" in gaz.last_like


def test_lower_case_queries():
    assert persons("karen wiggins atlanta address") == ["karen wiggins"]
    assert persons("john smith obituary") == ["john smith"]
    assert "emma" in persons("wow emma and ryan are so cute")
    assert persons("who is sheila randall") == ["sheila randall"]


def test_titles():
    assert persons("call dr smith tomorrow") == ["smith"]
    assert persons("Mrs. Karen Jones said hi") == ["Karen Jones"]


def test_common_words_are_not_names():
    for text in ("will it rain may 26", "rose garden ideas", "mark as read", "bill pay online",
                 "hope to see you", "best tacos near me", "summer hunter jobs", "the young and the restless"):
        assert persons(text) == [], text


def test_places():
    assert places("the princess royal arrived this morning from bahrain") == ["bahrain"]
    assert places("cheap hotels in new york") == ["new york"]
    assert places("Flights to Chicago") == ["Chicago"]
    assert places("nice weather today") == []


def test_capitalized_names_in_sentences():
    text = "Yesterday I met Kovalev and Brandi at the park."
    assert set(persons(text)) == {"Kovalev", "Brandi"}
