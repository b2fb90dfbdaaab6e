import time

from detectors.names import NameDetector, gazetteer

FAR = time.monotonic() + 3600
DET = NameDetector()


def _found(text, entity):
    """The surfaces of the detector's findings of one entity, in text order."""
    return [text[f.start:f.end] for f in sorted(DET.detect(text, FAR), key=lambda f: f.start) if f.entity == entity]


def persons(text):
    return _found(text, "PERSON")


def places(text):
    return _found(text, "LOCATION")


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
    # an honorific belongs to the span; other titles do not
    assert persons("call dr smith tomorrow") == ["dr smith"]
    assert persons("Mrs. Karen Jones said hi") == ["Mrs. Karen Jones"]
    assert persons("ask coach smith") == ["smith"]
    assert persons("I miss Karen so much") == ["Karen"]


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


def test_name_intro_cues():
    assert persons("My name is Maslin") == ["Maslin"]
    assert persons("sometimes people call me philipp") == ["philipp"]
    assert persons("thanks Gabe!") == ["Gabe"]
    assert persons("My name is important to me") == []
    assert persons("call me tomorrow") == []
    assert persons("hey there, thanks everyone") == []


def test_clause_initial_subject_before_verb():
    assert persons('Onni shouted at Eric: "What are you doing"') == ["Eric", "Onni"] or \
        set(persons('Onni shouted at Eric: "What are you doing"')) == {"Onni", "Eric"}
    assert persons("tyler is very reliable. you can always depend on him") == ["tyler"]
    assert set(persons("Árias and Merritt were precision engineers.")) == {"Árias", "Merritt"}
    assert persons("yeah but conor makes more than anyone") == ["conor"]
    # places, common words and brands before a verb are not people
    for text in ("Paris is lovely in spring", "Python is great", "Apple is great", "The company said no",
                 "Will is coming", "Microsoft said that", "Denver is cold"):
        assert persons(text) == [], text


def test_name_lists():
    assert set(persons("they had 6: natalina, thomas, crystal, omar, zachary and brandy.")) >= {
        "thomas", "crystal", "omar", "zachary", "brandy"}
    assert "April" in persons("Victor, Andrew, Brandon, John, Evan and April.")
    for text in ("red, green and blue", "Monday, Tuesday and Friday", "Google, Amazon and Apple",
                 "bread, milk, crystal glasses and candy"):
        assert persons(text) == [], text


def test_vocative():
    assert persons("Linus , lately I can feel a disturbance") == ["Linus"]
    assert persons("Paris, France is nice") == []


def test_contractions_are_not_names():
    assert persons("ok sounds good It's been 6 days and no update.") == []
    assert persons("lol same We're flying to Seattle on 6/17/2025.") == []


def test_places_after_cues():
    assert places("My friend lives in Hueb") == ["Hueb"]
    assert places("Tiz is a 50 year old man who grew up in Moknine.") == ["Moknine"]
    assert places("We moved here from Charlevoix") == ["Charlevoix"]
    assert places("I live in Port Edward now") == ["Port Edward"]
    assert places("She studied in Frederiksberg C last year") == ["Frederiksberg C"]
    assert places("The title refers to the street in ANNERSTAD.") == ["ANNERSTAD"]
    # a known town that is also a given name is a place after a motion verb, not after "from"
    assert places("We're flying to Austin on 2024-06-19.") == ["Austin"]
    assert "Austin" not in places("I got a letter from Austin")
    # a route names two places, towns that are also given names included
    assert sorted(places("Austin to Denver drive time")) == ["Austin", "Denver"]
    assert sorted(places("cheap flights Miami to San Diego")) == ["Miami", "San Diego"]
    assert places("Brian to Dallas") == []
    # unknown or common capitalized words after weak prepositions are not places
    assert places("I work in Marketing") == []
    assert places("She lives in Fear of spiders") == []
    assert places("lives in The city") == []


def test_company_named_after_person_is_not_a_person():
    assert persons("The version recorded for Ortiz LLC became famous") == []
    assert persons("Dariusz Smith Ltd. is a supplier") == []
    assert "Dariusz Smith" in persons("Dariusz Smith said hi to the team")


def test_vocative_addressee():
    assert persons("Dariusz, can I please speak to your boss?") == ["Dariusz"]
    assert persons("Kateřina, can I please speak to your boss?") == ["Kateřina"]
    assert persons("Denver, can you hear me") == []


def test_unknown_caps_after_at_is_not_a_person():
    assert persons("Niklas spent a year at Citysourced as an assistant") == ["Niklas"]


def test_unknown_caps_counts_words_english_writes_capitalized():
    # "kimmel" and "leto" are frequent words only as names: Title case inside a sentence is a name
    assert persons("we watched Kimmel last night") == ["Kimmel"]
    assert persons("nobody plays it like Leto does") == ["Leto"]
    # not when the text capitalizes most words (a headline), nor for plain words
    assert persons("I Cant Believe This Is On The Trending Tab") == []
    assert persons("we watched Ledger last night") == []


def test_stage_name_prefixes_work_like_titles():
    assert persons("I request a reaction to DJ Switch") == ["Switch"]
    assert persons("Lil Yachty sounds tired") == ["Yachty"]
    assert persons("wait a lil bit") == []


def test_closing_vocative():
    assert persons("Where are my keys , Summer ?") == ["Summer"]
    assert persons("thanks for the help, Rohan") == ["Rohan"]
    assert persons("I love it, Grace! See you") == ["Grace"]
    # a comma inside a sentence, a list, a place
    assert persons("I met her, Summer was there") == []
    assert persons("Spring, Summer, Fall") == []
    assert persons("We flew to Paris, Texas.") == []


def test_clause_initial_unknown_word_a_pronoun_refers_to():
    assert persons("Pyrion continues his streak as the worst detective") == ["Pyrion"]
    assert persons("I wonder if Zorbex just plays with this when he's bored") == ["Zorbex"]
    # a people noun or a known person takes the pronoun; a place is no person
    assert persons("Zorbex hired my brother and he loves it") == []
    assert persons("Denver keeps growing and he moved there") == []
    assert persons("Tesla stock fell after the call, his analysts said") == []    # a brand word


def test_title_in_tokenized_text():
    # corpora tokenized word by word write "Dr. Cox" as "Dr . Cox"
    assert persons("Dr . Cox still hittin em with some heavy life lessons") == ["Cox"]


def test_possessive_slot_in_lower_case_text_without_known_names():
    # no gazetteer word and no capital letter: the cheap exit must not skip the possessive slot
    assert persons("kapil ' s expression at the end") == ["kapil"]
    assert persons("where's kishan ?") == ["kishan"]
    assert persons("the car ' s engine") == []


def test_lone_lower_case_given_name_low_score():
    from detectors.names import NameDetector
    import time
    det = NameDetector()
    text = "lol jessica said that yesterday"
    found = [(text[f.start:f.end], f.score) for f in det.detect(text, time.monotonic() + 5) if f.entity == "PERSON"]
    assert ("jessica", 0.45) in found or ("jessica", 0.75) in found
    text = "will it rain today"
    assert not [f for f in det.detect(text, time.monotonic() + 5) if f.entity == "PERSON"]


def test_first_last_with_weak_first_name():
    # a middle initial, or a given name that is no English word, supports a name-like surname
    assert persons("mark t. obrien 9015819419") == ["mark t. obrien"]
    assert persons("morgan mcbride 212-406-7747") == ["morgan mcbride"]
    # Title case: a popular given name before a frequent surname, both also words
    assert persons("Can you forward this to Crystal Cameron please?") == ["Crystal Cameron"]
    assert persons("Please ask Frank Chen about it.") == ["Frank Chen"]


def test_popular_pairs_that_are_places_or_words():
    for text in ("Grant Park concert tonight", "Rose Hill cemetery", "Jack Black movies"):
        assert persons(text) in ([], ["Jack Black"]), text
    assert persons("mark as read and bill pay") == []


def test_surname_that_is_also_a_place():
    assert persons("luke washington linkedin") == ["luke washington"]
    assert persons("Luke Washington linkedin") == ["Luke Washington"]
    assert persons("flights to kent washington") == []
    assert places("weather in washington") == [] or persons("weather in washington") == []


def test_given_name_that_is_also_a_word_inside_a_sentence():
    assert persons("Happy New year Amber , I love your videos") == ["Amber"]
    assert persons("Summer is coming, said the Bill payment page") == []


def test_coordination_with_a_name():
    assert persons("wow emma and kaite is so very cute") == ["emma", "kaite"]
    assert persons("emma and the boys") == ["emma"]


def test_place_is_not_extended_over_a_postcode_letter():
    assert places("she moved to Leeds L1 0AA") == ["Leeds"]


def test_name_in_a_person_slot():
    """Rule 9: a word shaped like a name where people stand: subject of a verb, possessor,
    addressee, after 'where is' or 'fan of', before 'fan' or 'supporters', beside 'you and'."""
    assert persons("hangwani is slaying colours like her") == ["hangwani"]
    assert persons("Pyrion said he is the worst detective .") == ["Pyrion"]
    assert persons("kapil ' s expression at the end") == ["kapil"]
    assert persons("Where ' s Kishan ?") == ["Kishan"]
    assert persons("where's Kishan?") == ["Kishan"]
    assert persons("sterling you gone too far") == ["sterling"]
    assert persons("she is a huge fan of Fedorova") == ["Fedorova"]
    assert persons("im a minecraft gamer and grian fan so i can say") == ["grian"]
    assert persons("It was so nice meeting you and Jonyeee !") == ["Jonyeee"]
    assert persons("why did Rose have her kids this whole time") == ["Rose"]
    assert persons("How does MaMlambo cook something for her") == ["MaMlambo"]
    assert persons("anyone else notice gaby gave herself more soda") == ["gaby"]
    assert persons("Hey tanner is your last name real") == ["tanner"]
    assert persons("Loey , do you not have any more stories ?") == ["Loey"]
    assert persons("tanner why do you do this") == ["tanner"]


def test_no_name_in_a_person_slot_for_words_brands_and_contractions():
    for text in ("Apple is great", "Hope you got the house", "Love you guys", "What's your name?",
                 "the butler is here", "a huge football fan", "where is the station?", "Eww you are gross",
                 "It's going to rain", "Summer is coming", "recorded for Allianz became the first",
                 "OMFG WHY THIS", "why did the car stop", "Sunday , do you work",
                 "The failed logins came from 52.10.157.63 last night.", "they proposed EU-wide measures"):
        assert persons(text) == [], text


def test_title_case_pairs_of_international_names():
    # rule 1c: an international given name, or a word too rare to be English, before a surname
    assert persons("Contact: Priya Nair") == ["Priya Nair"]
    assert persons("cc: Olusegun Adeyemi") == ["Olusegun Adeyemi"]
    assert persons("Sent by Tomasz Kowalczyk on Monday") == ["Tomasz Kowalczyk"]
    # common words, places and firms are not taken
    for text in ("We visited Priya Beach", "Nintendo Switch Lite", "Quxzor Paris", "Priya Nair Ltd filed"):
        assert "Priya Nair" not in persons(text) and not any(" " in p for p in persons(text)), text


def test_title_takes_international_and_rare_surnames_but_stops_at_a_unit():
    assert persons("Ms. Alicia Laaksonen") == ["Ms. Alicia Laaksonen"]
    assert persons("Dr. Stacy Jónasdóttir Suite 683 11 Brucknerweg 141")[0] == "Dr. Stacy Jónasdóttir"


def test_demonyms_are_no_unknown_names():
    assert persons("Germany's representative to the European Union's veterinary committee") == []
    assert persons("He joined the Italian team") == []


def test_known_place_of_several_words_after_a_cue():
    assert places("She moved here from Bosnia and Herzegovina") == ["Bosnia and Herzegovina"]
    assert persons("She moved here from Bosnia and Herzegovina") == []


def test_lower_case_place_takes_back_a_lone_given_name_inside_it():
    assert places("flights to el salvador") == ["el salvador"] and persons("flights to el salvador") == []
    assert places("salvador dali paintings") == []   # the given name alone is no place
