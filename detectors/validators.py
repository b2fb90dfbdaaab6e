"""Named validators that rules in YAML packs refer to (``validator: luhn``).

Code lives here only where data cannot say it: checksums and registry rules. Each validator takes
the matched text (separators included) and answers whether it is a real instance of the format.
Prefer python-stdnum's maintained implementations over hand-written arithmetic.
"""
from __future__ import annotations

import re
from collections.abc import Callable

Validator = Callable[[str], bool]

_NUMBERS = re.compile(r"\d+")
_WORDS = re.compile(r"[A-Za-z]+")

VALIDATORS: dict[str, Validator] = {}


def validator(name: str) -> Callable[[Validator], Validator]:
    """Register a validator under the name packs use."""
    def register(fn: Validator) -> Validator:
        VALIDATORS[name] = fn
        return fn
    return register


_NON_DIGITS = re.compile(r"\D+")


def digits_of(text: str) -> str:
    """The decimal digits of ``text`` (``\\d``), in order."""
    if text.isdigit():
        return text
    # Ids are mostly digits with spaces or hyphens: when nothing else is left after removing
    # those, it is the answer (``isdecimal`` is exactly ``\\d``), at a tenth of the regex's cost.
    compact = text.replace(" ", "").replace("-", "")
    return compact if compact.isdecimal() else _NON_DIGITS.sub("", text)


@validator("mod97")
def mod97(text: str) -> bool:
    """ISO 7064 MOD 97-10 over the letters and digits (the IBAN / creditor-reference check)."""
    from stdnum.iso7064 import mod_97_10
    compact = "".join(c for c in text if c.isalnum())
    return bool(compact) and mod_97_10.is_valid(compact.upper())


@validator("mod11")
def mod11(text: str) -> bool:
    """ISO 7064 MOD 11-2 over the digits, 'X' standing for 10 in the last place (ISNI, ORCID,
    Chinese resident ids)."""
    from stdnum.iso7064 import mod_11_2
    compact = "".join(c for c in text if c.isdigit() or c in "xX")
    return len(compact) > 1 and mod_11_2.is_valid(compact.upper())


#: ``validator: stdnum:<module>`` in a pack: any python-stdnum format (``stdnum:gb.nhs``,
#: ``stdnum:in_.aadhaar``), so a national id with a checksum needs a rule, not code.
STDNUM_PREFIX = "stdnum:"


def get_validator(name: str) -> Validator:
    found = VALIDATORS.get(name)
    if found is not None:
        return found
    if name.startswith(STDNUM_PREFIX):
        return _stdnum_validator(name)
    raise KeyError(f"unknown validator {name!r}; known: {', '.join(sorted(VALIDATORS))}, "
                   f"or {STDNUM_PREFIX}<python-stdnum module>")


def _stdnum_validator(name: str) -> Validator:
    """``is_valid`` of the python-stdnum module ``name`` names, registered under that name."""
    import importlib

    module = name[len(STDNUM_PREFIX):]
    try:
        is_valid = importlib.import_module(f"stdnum.{module}").is_valid
    except (ImportError, AttributeError):
        raise KeyError(f"unknown validator {name!r}: python-stdnum has no module "
                       f"'stdnum.{module}' with is_valid()") from None
    VALIDATORS[name] = is_valid
    return is_valid


@validator("luhn")
def luhn(text: str) -> bool:
    digits = digits_of(text)
    if not digits:
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _compact(text: str) -> str:
    """The matched text without the separators ids are commonly written with."""
    return "".join(ch for ch in text if ch not in " -./\u00a0\t")


_LUHN_DOUBLE = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)
_LUHN_DOUBLE_BYTES = bytes.maketrans(b"0123456789", bytes(_LUHN_DOUBLE))


def _luhn_digits(digits: str) -> bool:
    if digits.isascii() and digits.isdigit():
        # The same sums over ASCII bytes: no per-digit ``int`` (4x faster).
        raw = digits.encode()
        plain = sum(raw[::-2]) - 48 * ((len(raw) + 1) // 2)
        return (plain + sum(raw[-2::-2].translate(_LUHN_DOUBLE_BYTES))) % 10 == 0
    rev = digits[::-1]
    return (sum(map(int, rev[0::2])) + sum(_LUHN_DOUBLE[int(c)] for c in rev[1::2])) % 10 == 0


def _consistent_separators(text: str) -> bool:
    """At most one kind of separator between digit groups ('4111 1111-1111 1111' is not a card)."""
    return text.isalnum() or not ((" " in text) and ("-" in text))


# ----------------------------------------------------------------------------------- cards

def _card_brand(d: str) -> str | None:
    """Brand of a card number from its IIN and length (current ranges, 2024)."""
    n = len(d)
    p2, p3, p4, p6 = int(d[:2]), int(d[:3]), int(d[:4]), int(d[:6])
    if d[0] == "4" and n in (13, 16, 19):
        return "visa"
    if (51 <= p2 <= 55 or 2221 <= p4 <= 2720) and n == 16:
        return "mastercard"
    if p2 in (34, 37) and n == 15:
        return "amex"
    if (p4 == 6011 or p2 == 65 or 644 <= p3 <= 649 or 622126 <= p6 <= 622925) and 16 <= n <= 19:
        return "discover"
    if 3528 <= p4 <= 3589 and 16 <= n <= 19:
        return "jcb"
    if (300 <= p3 <= 305 or p2 in (36, 38, 39) or p4 == 3095) and 14 <= n <= 19:
        return "diners"
    if p2 == 62 and 16 <= n <= 19:
        return "unionpay"
    if (p2 in (50, 56, 57, 58, 63, 67) or p2 == 60 or p2 == 61 or p2 == 68 or p2 == 69) and 12 <= n <= 19:
        return "maestro"
    if p4 in (2200, 2201, 2202, 2203, 2204) and n == 16:
        return "mir"
    return None


_MAJOR_BRANDS = frozenset({"visa", "mastercard", "amex", "discover", "jcb", "diners"})


def _card_digits(text: str) -> str | None:
    if not _consistent_separators(text):
        return None
    d = digits_of(text)
    if not 12 <= len(d) <= 19 or len(set(d)) < 2 or not _luhn_digits(d):
        return None
    return d


@validator("credit_card")
def credit_card(text: str) -> bool:
    """Luhn-valid, a major issuer range for its length, one kind of separator, not all one digit."""
    d = _card_digits(text)
    return d is not None and _card_brand(d) in _MAJOR_BRANDS


@validator("credit_card_regional")
def credit_card_regional(text: str) -> bool:
    """Luhn-valid Maestro, UnionPay or Mir number (ranges that collide with other ids)."""
    d = _card_digits(text)
    return d is not None and _card_brand(d) not in _MAJOR_BRANDS and _card_brand(d) is not None


# ------------------------------------------------------------------------------ US numbers

@validator("us_ssn")
def us_ssn(text: str) -> bool:
    """SSA rules: area not 000, 666 or 900-999; group not 00; serial not 0000; not one digit
    repeated. The famous voided numbers (078-05-1120 of the wallet insert, 123-45-6789) are SSNs
    by form and are what people paste as one: failing closed, they are reported too."""
    if not _consistent_separators(text):
        return False
    d = digits_of(text)
    if len(d) != 9:
        return False
    area, group, serial = int(d[:3]), int(d[3:5]), int(d[5:])
    if area == 0 or area == 666 or area >= 900 or group == 0 or serial == 0:
        return False
    return len(set(d)) > 1


@validator("us_itin")
def us_itin(text: str) -> bool:
    """IRS ITIN: 9XX-GG-XXXX with group 50-65, 70-88, 90-92 or 94-99."""
    if not _consistent_separators(text):
        return False
    d = digits_of(text)
    if len(d) != 9 or d[0] != "9":
        return False
    g = int(d[3:5])
    return 50 <= g <= 65 or 70 <= g <= 88 or 90 <= g <= 92 or 94 <= g <= 99


@validator("aba_routing")
def aba_routing(text: str) -> bool:
    """ABA routing number: valid Federal Reserve prefix and the 3-7-1 weighted checksum."""
    d = digits_of(text)
    if len(d) != 9 or len(set(d)) == 1:
        return False
    p = int(d[:2])
    if not (p <= 12 or 21 <= p <= 32 or 61 <= p <= 72 or p == 80):
        return False
    w = (3, 7, 1) * 3
    return sum(int(c) * k for c, k in zip(d, w)) % 10 == 0


# ------------------------------------------------------------------------------- network

@validator("ipv4")
def ipv4(text: str) -> bool:
    parts = text.split(".")
    if len(parts) != 4:
        return False
    for p in parts:
        if not p.isdigit() or len(p) > 3 or (len(p) > 1 and p[0] == "0") or int(p) > 255:
            return False
    return True


@validator("ipv6")
def ipv6(text: str) -> bool:
    import ipaddress
    try:
        addr = ipaddress.IPv6Address(text.split("%", 1)[0])
    except ValueError:
        return False
    # '::' alone and tiny compressed forms ('1::', '::1') are too ambiguous in prose, except ::1.
    return text.count(":") >= 3 or str(addr) == "::1"


@validator("mac")
def mac(text: str) -> bool:
    hexes = _compact(text.replace(":", "").replace("-", "").replace(".", ""))
    return len(hexes) == 12 and hexes.upper() not in ("000000000000", "FFFFFFFFFFFF")


# --------------------------------------------------------------------------------- banking

# IBAN lengths per country (SWIFT IBAN registry, 2024), including the partner registries.
_IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27,
    "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25,
    "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18,
    "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33,
    "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
    # Experimental / national IBANs seen in the wild (Nordea and SWIFT lists).
    "AO": 25, "BF": 28, "BJ": 28, "CF": 27, "CG": 27, "CI": 28, "CM": 27, "CV": 25, "DZ": 26, "GA": 27,
    "GQ": 27, "GW": 25, "HN": 28, "IR": 26, "KM": 27, "MA": 28, "MG": 27, "ML": 28, "MZ": 25, "NE": 28,
    "SN": 28, "TD": 27, "TG": 28,
}


@validator("iban")
def iban(text: str) -> bool:
    """Per-country length and the ISO 7064 mod-97 check (an IBAN is valid iff the rearranged
    number is 1 mod 97). The length table follows the SWIFT registry; python-stdnum's
    ``stdnum.iban`` is the reference the tests compare against."""
    compact = "".join(text.split()).upper()
    if _IBAN_LENGTHS.get(compact[:2]) != len(compact) or not compact.isalnum() or not compact[2:4].isdigit():
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join([c if c.isdigit() else str(ord(c) - 55) for c in rearranged])) % 97 == 1


# -------------------------------------------------------------------------------- shipping

def _ups_value(ch: str) -> int:
    if ch.isdigit():
        return ord(ch) - 48
    return (ord(ch.upper()) - 63) % 10


@validator("ups")
def ups(text: str) -> bool:
    """UPS 1Z tracking number: 1Z + 6 shipper + 2 service + 7 package + mod-10 check digit."""
    t = _compact(text).upper()
    if len(t) != 18 or not t.startswith("1Z") or not t[17].isdigit():
        return False
    body = t[2:17]
    total = sum(_ups_value(c) * (2 if i % 2 else 1) for i, c in enumerate(body))
    return (10 - total % 10) % 10 == int(t[17])


def _mod10_31(digits: str) -> bool:
    """Check digit = 10 - (3*odd-from-right + even-from-right) mod 10 (FedEx 15/SSCC, USPS IMpb)."""
    body, check = digits[:-1], int(digits[-1])
    s = sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(reversed(body)))
    return (10 - s % 10) % 10 == check


@validator("fedex12")
def fedex12(text: str) -> bool:
    """FedEx Express 12-digit: weights 1,3,7 from the right over 11 digits, mod 11, mod 10."""
    d = digits_of(text)
    if len(d) != 12 or len(set(d)) < 3:
        return False
    w = (1, 3, 7)
    s = sum(int(c) * w[i % 3] for i, c in enumerate(reversed(d[:11])))
    return (s % 11) % 10 == int(d[11])


@validator("fedex15")
def fedex15(text: str) -> bool:
    """FedEx Ground 15-digit (and 96-prefixed 22-digit SSCC-style): mod-10 with weights 3,1."""
    d = digits_of(text)
    if len(d) not in (15, 20, 22) or len(set(d)) < 3:
        return False
    return _mod10_31(d)


@validator("usps")
def usps(text: str) -> bool:
    """USPS IMpb 20/22 digits (prefix 91-95, or 420+ZIP routed) and S10 13-char international."""
    t = _compact(text).upper()
    if len(t) == 13 and t[:2].isalpha() and t[11:].isalpha() and t[2:11].isdigit():
        d = t[2:10]
        w = (8, 6, 4, 2, 3, 5, 9, 7)
        c = 11 - sum(int(x) * k for x, k in zip(d, w)) % 11
        c = 5 if c == 11 else 0 if c == 10 else c
        return c == int(t[10])
    d = digits_of(t)
    if len(d) != len(t) or len(set(d)) < 3:
        return False
    if d.startswith("420") and len(d) in (30, 34):  # 420 + ZIP (5 or 9) + IMpb 22
        d = d[-22:]
    if len(d) not in (20, 22, 26):
        return False
    return _mod10_31(d)


@validator("dhl")
def dhl(text: str) -> bool:
    """DHL Express 10-digit waybill: check digit = first nine mod 7."""
    d = digits_of(text)
    if len(d) != 10 or len(set(d)) < 3:
        return False
    return int(d[:9]) % 7 == int(d[9])


# ---------------------------------------------------------------------------------- devices

_VIN_VALUES = {**{str(i): i for i in range(10)},
               **dict(zip("ABCDEFGH", range(1, 9))), **dict(zip("JKLMN", range(1, 6))), "P": 7, "R": 9,
               **dict(zip("STUVWXYZ", range(2, 10)))}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


@validator("vin")
def vin(text: str) -> bool:
    """17 characters without I, O, Q; check digit at position 9 (North America; most makers world-wide)."""
    t = text.upper()
    if len(t) != 17 or any(c not in _VIN_VALUES for c in t):
        return False
    if sum(c.isdigit() for c in t) < 5 or sum(c.isalpha() for c in t) < 2:
        return False
    s = sum(_VIN_VALUES[c] * w for c, w in zip(t, _VIN_WEIGHTS)) % 11
    return t[8] == ("X" if s == 10 else str(s))


@validator("imei")
def imei(text: str) -> bool:
    d = digits_of(text)
    return len(d) == 15 and len(set(d)) > 2 and _luhn_digits(d)


# ---------------------------------------------------------------------------------- dates

_MONTHS = {m: i + 1 for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])}


@validator("date")
def date(text: str) -> bool:
    """A numeric date whose month and day are in range, in y-m-d, m/d/y or d/m/y order."""
    parts = [int(p) for p in _NUMBERS.findall(text)]
    if len(parts) < 2:
        return True  # month-name forms: the pattern already constrains them
    if len(parts) >= 3 and parts[0] > 31:  # ISO y-m-d
        y, m, d = parts[:3]
        return 1 <= m <= 12 and 1 <= d <= 31 and 1000 <= y <= 2999
    a, b = parts[0], parts[1]
    if len(parts) >= 3:
        y = parts[2]
        if not (y < 100 or 1000 <= y <= 2999):
            return False
    ok_md = 1 <= a <= 12 and 1 <= b <= 31
    ok_dm = 1 <= b <= 12 and 1 <= a <= 31
    return ok_md or ok_dm


# --------------------------------------------------------------------------------- secrets

def shannon_entropy(s: str) -> float:
    import math
    if not s:
        return 0.0
    n = len(s)
    counts: dict[str, int] = {}
    for ch in s:
        counts[ch] = counts.get(ch, 0) + 1
    return -sum(c / n * math.log2(c / n) for c in counts.values())


@validator("high_entropy")
def high_entropy(text: str) -> bool:
    """A random-looking token: >= 16 chars, letters and digits mixed, entropy >= 3.2 bits/char."""
    t = text.strip("'\"")
    if len(t) < 16:
        return False
    has_digit = any(c.isdigit() for c in t)
    has_alpha = any(c.isalpha() for c in t)
    if not (has_digit and has_alpha):
        return False
    return shannon_entropy(t) >= 3.2


@validator("secret")
def secret(text: str) -> bool:
    """A secret's value: a password-like value of 8+ characters that is not code reading it from
    elsewhere ('os.environ[...]', 'settings.KEY', 'getenv(...)'), nor a placeholder made of words
    ('your-secret-key-here', 'change_me_in_prod')."""
    t = text.strip("'\"")
    if len(t) < 8 or not password(t) or any(c in t for c in "()[]{}"):
        return False
    if _CODE_REF.match(t):
        return False
    return not (_WORDY.fullmatch(t) and _PLACEHOLDER_WORD.search(t.lower()))


_CODE_REF = re.compile(r"(?:os|process|settings|config|env|self|this|app|ENV)\.[A-Za-z_]")
_WORDY = re.compile(r"[A-Za-z]+(?:[-_ .][A-Za-z]+)*")
_PLACEHOLDER_WORD = re.compile(r"your|here|change|example|placeholder|dummy|sample|secret|insert|replace|todo")


@validator("password")
def password(text: str) -> bool:
    """A password value, not a placeholder or a sentence word ('password is required')."""
    t = text.strip("'\"")
    if len(t) < 4 or len(t) > 128:
        return False
    low = t.lower()
    if low in _PASSWORD_PLACEHOLDERS or set(low) <= {"*", "x", "•", "."}:
        return False
    if low.startswith(("${", "{{", "%(", "<", "$(")):
        return False
    if _PATH_LIKE.fullmatch(t):  # 'PWD=/home/kpatel' in sudo logs and env dumps: a directory
        return False
    return True


_PATH_LIKE = re.compile(r"(?:~|\.{1,2})?/[\w.@+-]{0,64}(?:/[\w.@+-]{0,64}){0,32}")


_PASSWORD_PLACEHOLDERS = {
    "required", "incorrect", "invalid", "wrong", "expired", "reset", "changed", "updated", "none", "null",
    "true", "false", "empty", "missing", "here", "below", "above", "protected", "field", "please",
    "password", "changeme", "example", "redacted", "hidden", "secret", "xxxx", "****", "your_password",
    "yourpassword", "<password>", "not", "too", "the", "that", "this", "same", "different", "strong",
    "weak", "case", "should", "must", "will", "was", "has", "have", "and", "for", "with", "manager",
    "managers", "policy", "length", "hash", "hashes", "hashed", "recovery", "again", "also", "still",
    "very", "being", "correct", "forgotten", "forgot", "stored", "saved", "sent", "typed", "entered",
    "working", "valid", "accepted", "rejected", "set", "str", "string", "env", "getenv", "input",
    "enabled", "disabled", "yes", "auto", "default", "optional", "random", "generated", "prompt", "unset",
    "undefined", "nil",
}


@validator("jwt")
def jwt(text: str) -> bool:
    """Three base64url segments whose first decodes to a JSON header naming an algorithm."""
    import base64
    import json
    head = text.split(".", 1)[0]
    try:
        raw = base64.urlsafe_b64decode(head + "=" * (-len(head) % 4))
        obj = json.loads(raw)
    except Exception:  # noqa: BLE001
        return False
    return isinstance(obj, dict) and ("alg" in obj or "typ" in obj)


# ------------------------------------------------------------------------------------ URLs

# Common generic TLDs plus every two-letter country code. File extensions that are also real TLDs
# (zip, mov, py, sh, md, rs, pl, ps) are left out of bare-domain matching: 'setup.py' is a file.
_GENERIC_TLDS = (
    "com net org edu gov mil int info biz name pro mobi aero coop museum app dev io ai co me tv cc "
    "xyz online site store shop tech blog cloud live news club design space website page link "
    "email agency digital media network solutions services systems company group global world "
    "today life guru ninja rocks social team tools zone art studio games bank finance money "
    "health care law legal church school academy education university college travel hotel "
    "london nyc berlin paris tokyo amsterdam wiki top vip one fun icu ltd inc llc gmbh"
).split()
_CCTLDS = (
    "ac ad ae af ag ai al am ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bm bn bo br bs bt "
    "bw by bz ca cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj dk dm do dz ec ee eg er es "
    "et eu fi fj fk fm fo fr ga gb gd ge gf gg gh gi gl gm gn gp gq gr gs gt gu gw gy hk hm hn hr ht "
    "hu id ie il im in iq ir is it je jm jo jp ke kg kh ki km kn kp kr kw ky kz la lb lc li lk lr ls "
    "lt lu lv ly ma mc md me mg mh mk ml mm mn mo mp mq mr ms mt mu mv mw mx my mz na nc ne nf ng ni "
    "nl no np nr nu nz om pa pe pf pg ph pk pl pm pn pr ps pt pw py qa re ro rs ru rw sa sb sc sd se "
    "sg sh si sj sk sl sm sn so sr ss st sv sx sy sz tc td tf tg th tj tk tl tm tn to tr tt tv tw tz "
    "ua ug uk us uy uz va vc ve vg vi vn vu wf ws ye yt za zm zw"
).split()
TLDS = frozenset(_GENERIC_TLDS) | frozenset(_CCTLDS)
# Endings that are far more often a file type or an English word run-on ('it.Is') than a domain.
_BARE_TLD_EXCLUDED = frozenset("py sh md rs pl ps so is it in at be by me my no to us am an as do go "
                               "id la ma mo na ne nu pe re sa se st ai cc".split())


@validator("domain")
def domain(text: str) -> bool:
    """A bare host name whose last label is a known TLD and not a file extension or a word run-on."""
    host = text.split("/", 1)[0].rstrip(".")
    labels = host.split(".")
    if len(labels) < 2:
        return False
    tld = labels[-1]
    if not (tld.islower() or tld.isupper()):
        return False
    tld = tld.lower()
    if tld not in TLDS:
        return False
    www = labels[0].lower() == "www"
    if tld in _BARE_TLD_EXCLUDED and not www and len(labels) < 3:
        return False
    if any(lab.isdigit() for lab in labels):
        return False
    return www or len(labels[-2]) >= 2


@validator("email")
def email(text: str) -> bool:
    host = text.rsplit("@", 1)[-1].rstrip(".").lower()
    tld = host.rsplit(".", 1)[-1]
    return tld in TLDS or (len(tld) >= 2 and tld.isalpha() and len(tld) <= 24 and tld not in _FILE_EXTS)


@validator("email_obfuscated")
def email_obfuscated(text: str) -> bool:
    """An e-mail address with 'at' / 'dot' spelled out: at least one marker in brackets, or a plain
    ' at ' with a spelled-out dot; the address it stands for must end in a known TLD."""
    low = text.lower()
    bracketed = _OBFUSCATION_MARK.search(low) is not None
    if not bracketed and " dot " not in low:
        return False
    plain = _OBFUSCATION_MARK.sub(lambda m: "@" if "at" in m.group() or "@" in m.group() else ".", low)
    plain = plain.replace(" dot ", ".").replace(" at ", "@")
    return plain.count("@") == 1 and plain.rsplit(".", 1)[-1] in TLDS


_OBFUSCATION_MARK = re.compile(r" ?[(\[{] ?(?:at|@|dot|\.) ?[)\]}] ?")


_FILE_EXTS = frozenset("png jpg jpeg gif svg webp pdf txt csv json xml html htm js ts css exe dll so zip gz tar "
                       "docx doc xlsx xls pptx log yaml yml ini cfg".split())


@validator("password_prose")
def password_prose(text: str) -> bool:
    """'my password is X': X must look like a credential (a digit, a symbol or inner capitals),
    so that 'my password is incorrect' is not one."""
    if not password(text):
        return False
    has_digit = any(c.isdigit() for c in text)
    has_symbol = any(not c.isalnum() for c in text)
    inner_upper = any(c.isupper() for c in text[1:])
    return has_digit or has_symbol or inner_upper


_MONTH_WORDS = frozenset(
    "jan january feb february mar march apr april may jun june jul july aug august sep sept september "
    "oct october nov november dec december".split())


@validator("month_date")
def month_date(text: str) -> bool:
    """A date written with a month name ('March 3rd', '5 Jan 2025'): the word must be a month.
    'may 2019' alone is too often the verb to count; with a day it is a date."""
    words = _WORDS.findall(text)
    months = [w for w in words if w.lower() in _MONTH_WORDS]
    if not months:
        return False
    if months[0].lower() == "may":
        numbers = _NUMBERS.findall(text)
        if len(numbers) == 1 and len(numbers[0]) == 4:
            return False
    return True


@validator("clock")
def clock(text: str) -> bool:
    """A time of day: hour 0-23 (1-12 with am/pm), minutes and seconds 0-59."""
    parts = _NUMBERS.findall(text)
    if not parts:
        return False
    hour = int(parts[0])
    if ("a" in text or "A" in text or "p" in text or "P" in text) and not 1 <= hour <= 12:
        return False
    if hour > 23:
        return False
    for p in parts[1:3]:
        if int(p) > 59:
            return False
    return True


@validator("fedex")
def fedex(text: str) -> bool:
    """FedEx Express (12 digits, mod 11) or Ground (15 digits, mod 10)."""
    n = len(digits_of(text))
    return fedex12(text) if n == 12 else fedex15(text) if n == 15 else False


# ---------------------------------------------------------------------------------- accounts

@validator("bank_account")
def bank_account(text: str) -> bool:
    """An account number after an account cue: not one digit repeated ('00000000'), and not a
    payment card number (the card rules report those, as CREDIT_CARD)."""
    d = digits_of(text)
    return len(set(d)) > 1 and not credit_card(d)


@validator("record_id")
def record_id(text: str) -> bool:
    """A record or member id after its cue ('MRN 00482913', 'A-99231'): at least four digits,
    not one digit repeated."""
    d = digits_of(text)
    return len(d) >= 4 and len(set(d)) > 1


# Words that follow 'username is' / 'username:' in sentences about user names, not user names.
_USERNAME_WORDS = _PASSWORD_PLACEHOLDERS | {
    "taken", "available", "unavailable", "already", "unique", "exists", "blank", "sensitive", "username",
    "user", "name", "login", "email", "mail", "address", "account", "it", "is", "a", "an", "my", "your",
    "his", "her", "their", "our", "its", "or", "of", "in", "on", "at", "to", "you", "me", "we", "they",
    "mine", "yours", "unknown", "shown", "displayed", "visible", "public", "private", "optional",
    "admin", "administrator", "root", "guest", "anonymous", "test", "demo", "default",
    # service accounts of logs ('user=app', 'Invalid user postgres from ...')
    "app", "nobody", "www-data", "daemon", "system", "service", "postgres", "mysql", "ubuntu", "ec2-user",
    "centos", "git", "jenkins", "nginx", "apache",
    "failed", "failure", "success", "successful", "error", "denied", "blocked", "locked", "pending",
    "timeout", "ok", "disabled", "enabled", "page", "screen", "button", "form", "link", "help", "now",
    "there", "today", "broken", "attempt", "attempts", "issue", "issues", "problem", "problems",
    "with", "for", "from", "by", "as", "if", "when", "then", "but", "so", "be", "can", "cannot",
}


@validator("username")
def username(text: str) -> bool:
    """A user name stated as one ('my username is jdoe', 'login: mary.k'): 3-32 characters, a
    letter among them ('login: 2024-01-01' is a date), and not a word that sentences about user
    names use ('username is required', 'login: failed'). Shared role accounts ('admin', 'root',
    'guest') identify nobody."""
    t = text.strip("'\"")
    return 3 <= len(t) <= 32 and t.lower() not in _USERNAME_WORDS and any(c.isalpha() for c in t)


_VERSION_LIKE = re.compile(r"[vV]?\d+(?:[._]\d+)*[a-z]?")


@validator("username_handle")
def username_handle(text: str) -> bool:
    """A user name given without 'is' or ':' ('user jsmith1987 logged in'): it must look like a
    handle, with a digit, an underscore or an inner dot or hyphen, so that 'the user logged in'
    and 'username field' are not user names; version strings ('v2.1') are not handles."""
    if not username(text) or _VERSION_LIKE.fullmatch(text):
        return False
    return any(c.isdigit() or c == "_" for c in text) or "." in text[1:-1] or "-" in text[1:-1]


_NUMBER_RANGE = re.compile(r"\d{1,3}(?:[-–]\d{1,3})?\+?")  # 'password 8-16 characters', 'password 12+'


@validator("password_bare")
def password_bare(text: str) -> bool:
    """A password right after the word, without 'is' or ':' ('and password Xk#92!lmQ'): a digit
    or a symbol other than '-', '.' and brackets must be in it ('password reset-link',
    'password (optional)' are prose), and it is no length rule ('password 8-16 characters')."""
    if not password(text) or text[0] in "([{<" or _NUMBER_RANGE.fullmatch(text):
        return False
    return any(c.isdigit() or not (c.isalnum() or c in "-.'’()[]{}<>") for c in text)


# ----------------------------------------------------------------------------------- postcodes

# Royal Mail's outward + inward grammar (area letters exclude Q V X first and I J Z second; the
# letters of the inward code exclude C I K M O V), and Canada Post's (no D F I O Q U, no W or Z
# first).
_UK_POSTCODE = re.compile(r"GIR0AA|[A-PR-UWYZ](?:\d{1,2}|[A-HK-Y]\d{1,2}|\d[A-HJKPSTUW]|[A-HK-Y]\d[ABEHMNPRV-Y])"
                          r"\d[ABD-HJLNP-UW-Z]{2}")
_CA_POSTCODE = re.compile(r"[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z]\d[ABCEGHJ-NPRSTV-Z]\d")


@validator("uk_ca_postcode")
def uk_ca_postcode(text: str) -> bool:
    """A full UK or Canadian postcode ('LS1 4AP', 'SW1A 1AA', 'K1A 0B1'), written upper-case."""
    compact = text.replace(" ", "")
    return bool(_UK_POSTCODE.fullmatch(compact) or _CA_POSTCODE.fullmatch(compact))


# ---------------------------------------------------------------------------------- crypto

_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _bech32_valid(address: str) -> bool:
    """A mainnet segwit address: bech32 (BIP 173) for witness version 0, bech32m (BIP 350) for
    versions 1-16 (taproot 'bc1p...'). python-stdnum checks only the first; its checksum and
    base-32 helpers are reused for both."""
    from stdnum.bitcoin import b32decode, bech32_checksum
    if not (address.islower() or address.isupper()):
        return False
    low = address.lower()
    if not 14 <= len(low) <= 90 or any(c not in _BECH32 for c in low[3:]):
        return False
    data = [_BECH32.index(c) for c in low[3:]]
    version = data[0]
    constant = 1 if version == 0 else 0x2BC830A3
    hrp = [ord(c) >> 5 for c in "bc"] + [0] + [ord(c) & 31 for c in "bc"]
    if version > 16 or bech32_checksum(hrp + data) != constant:
        return False
    try:
        program = b32decode(data[1:-6])
    except ValueError:
        return False
    if version == 0:
        return len(program) in (20, 32)
    return 2 <= len(program) <= 40


@validator("bitcoin")
def bitcoin(text: str) -> bool:
    """A Bitcoin address whose checksum holds: base58check P2PKH ('1...') / P2SH ('3...')
    (double SHA-256, python-stdnum) or segwit 'bc1...' (bech32 / bech32m)."""
    if text[:3].lower() == "bc1":
        return _bech32_valid(text)
    from stdnum import bitcoin as btc
    return text[0] in "13" and btc.is_valid(text)


# Keccak-256 (the pre-standard SHA-3 that Ethereum uses; hashlib's sha3_256 pads differently, so
# it gives other digests). Only EIP-55 needs it, on a few candidates per million texts.
_KECCAK_RC = (
    0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000, 0x000000000000808B,
    0x0000000080000001, 0x8000000080008081, 0x8000000000008009, 0x000000000000008A, 0x0000000000000088,
    0x0000000080008009, 0x000000008000000A, 0x000000008000808B, 0x800000000000008B, 0x8000000000008089,
    0x8000000000008003, 0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008)
_KECCAK_ROT = ((0, 36, 3, 41, 18), (1, 44, 10, 45, 2), (62, 6, 43, 15, 61), (28, 55, 25, 21, 56),
               (27, 20, 39, 8, 14))
_M64 = (1 << 64) - 1


def _keccak_f(a: list[list[int]]) -> None:
    """The Keccak-f[1600] permutation on a 5x5 state of 64-bit lanes, ``a[x][y]``, in place."""
    for rc in _KECCAK_RC:
        c = [a[x][0] ^ a[x][1] ^ a[x][2] ^ a[x][3] ^ a[x][4] for x in range(5)]
        d = [c[(x - 1) % 5] ^ ((c[(x + 1) % 5] << 1 | c[(x + 1) % 5] >> 63) & _M64) for x in range(5)]
        for x in range(5):
            for y in range(5):
                a[x][y] ^= d[x]
        b = [[0] * 5 for _ in range(5)]
        for x in range(5):
            for y in range(5):
                r = _KECCAK_ROT[x][y]
                b[y][(2 * x + 3 * y) % 5] = (a[x][y] << r | a[x][y] >> (64 - r)) & _M64 if r else a[x][y]
        for x in range(5):
            for y in range(5):
                a[x][y] = b[x][y] ^ (~b[(x + 1) % 5][y] & b[(x + 2) % 5][y])
        a[0][0] ^= rc


def keccak256(data: bytes) -> bytes:
    """Keccak-256 of ``data`` (rate 136 bytes, padding 0x01 ... 0x80)."""
    rate = 136
    padded = bytearray(data) + b"\x01" + bytes(-(len(data) + 1) % rate)
    padded[-1] |= 0x80
    a = [[0] * 5 for _ in range(5)]
    for off in range(0, len(padded), rate):
        block = padded[off:off + rate]
        for i in range(rate // 8):
            a[i % 5][i // 5] ^= int.from_bytes(block[8 * i:8 * i + 8], "little")
        _keccak_f(a)
    return b"".join(a[i % 5][i // 5].to_bytes(8, "little") for i in range(4))


def _eip55_holds(hex40: str) -> bool:
    """EIP-55: a letter is upper-case iff the matching nibble of keccak256(lower-case hex) >= 8."""
    digest = keccak256(hex40.lower().encode()).hex()
    return all(c.isupper() == (int(h, 16) >= 8) for c, h in zip(hex40, digest) if c.isalpha())


def _eth_hex(text: str) -> str | None:
    body = text[2:] if text[:2] in ("0x", "0X") else ""
    return body if len(body) == 40 and all(c in "0123456789abcdefABCDEF" for c in body) else None


@validator("eip55")
def eip55(text: str) -> bool:
    """An Ethereum address in EIP-55 mixed case whose checksum holds: proof enough on its own."""
    body = _eth_hex(text)
    return body is not None and not (body.islower() or body.isupper()) and _eip55_holds(body)


@validator("ethereum")
def ethereum(text: str) -> bool:
    """An Ethereum address ('0x' + 40 hex digits) in one case, or in mixed case with a valid
    EIP-55 checksum (mixed case that fails it is a typo or not an address); not all zeros."""
    body = _eth_hex(text)
    if body is None or set(body) == {"0"}:
        return False
    return body.islower() or body.isupper() or body.isdigit() or _eip55_holds(body)


# ------------------------------------------------------------------------- national ids, places
# Most national ids with a checksum use python-stdnum directly (``validator: stdnum:gb.nhs``);
# these are the formats it does not cover.

_NINO_NEVER = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})


@validator("uk_nino")
def uk_nino(text: str) -> bool:
    """A UK National Insurance number: HMRC never issues the prefixes BG, GB, KN, NK, NT, TN
    and ZZ (the letter classes of the pattern exclude D, F, I, Q, U, V and O second)."""
    compact = text.replace(" ", "").upper()
    return len(compact) == 9 and compact[:2] not in _NINO_NEVER


_NRIC_WEIGHTS = (2, 7, 6, 5, 4, 3, 2)
_NRIC_CHECK = {"S": (0, "JZIHGFEDCBA"), "T": (4, "JZIHGFEDCBA"),
               "F": (0, "XWUTRQPNMLK"), "G": (4, "XWUTRQPNMLK")}


@validator("sg_nric")
def sg_nric(text: str) -> bool:
    """A Singapore NRIC / FIN (S, T, F, G series): the check letter of the weighted digit sum."""
    t = text.upper()
    if len(t) != 9 or t[0] not in _NRIC_CHECK or not t[1:8].isdigit():
        return False
    offset, letters = _NRIC_CHECK[t[0]]
    total = offset + sum(w * (ord(c) - 48) for w, c in zip(_NRIC_WEIGHTS, t[1:8]))
    return letters[total % 11] == t[8]


_SIGNED_DECIMAL = re.compile(r"([-+−]?)(\d{1,3}\.\d+)\s*°?\s*([NSEWnsew]?)")


@validator("coordinates")
def coordinates(text: str) -> bool:
    """A latitude and a longitude: |lat| <= 90, |lon| <= 180, not both zero ('0.0000, 0.0000'
    is a null island placeholder), and no hemisphere letter that contradicts its axis."""
    found = _SIGNED_DECIMAL.findall(text)
    if len(found) != 2:
        return False
    (_, lat, lat_h), (_, lon, lon_h) = found
    if lat_h.upper() in ("E", "W") or lon_h.upper() in ("N", "S"):
        return False
    la, lo = float(lat), float(lon)
    return la <= 90.0 and lo <= 180.0 and (la, lo) != (0.0, 0.0)


@validator("license_plate")
def license_plate(text: str) -> bool:
    """A vehicle registration after its cue: 2-10 letters and digits, at least one of each (a
    year or a word after 'registration' is not a plate)."""
    compact = text.replace("-", "").replace(" ", "")
    return 2 <= len(compact) <= 10 and any(c.isdigit() for c in compact) and any(c.isalpha() for c in compact)
