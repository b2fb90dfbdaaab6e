"""The entity catalogue: every label the detectors emit and what kind of thing it is.

Names follow Presidio where Presidio has one (EMAIL_ADDRESS, PHONE_NUMBER, US_SSN, ...), so
findings convert to ``RecognizerResult`` without a mapping table. ``category`` is the coarse label
of the labelled corpora in ``shared/data/dev`` (and of ``scrubber eval``); ``kind`` is what
policies and the release check reason about.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(str, Enum):
    DIRECT = "direct"        # identifies a person on its own (email, phone, SSN, card)
    QUASI = "quasi"          # identifies in combination (location, organization, date of birth)
    SECRET = "secret"        # a credential: always fatal in a release
    CONTEXT = "context"      # reported, rarely rewritten (plain dates and times)


@dataclass(frozen=True)
class Entity:
    name: str
    category: str
    kind: Kind
    description: str


_CATALOGUE = [
    Entity("PERSON", "PERSON", Kind.DIRECT, "a person's name"),
    Entity("EMAIL_ADDRESS", "EMAIL", Kind.DIRECT, "e-mail address"),
    Entity("PHONE_NUMBER", "PHONE", Kind.DIRECT, "phone number, international formats"),
    Entity("CREDIT_CARD", "CREDIT_CARD", Kind.DIRECT, "payment card number (Luhn-valid, known IIN)"),
    Entity("US_SSN", "SSN", Kind.DIRECT, "US social security number"),
    Entity("US_ITIN", "SSN", Kind.DIRECT, "US individual taxpayer id"),
    Entity("IP_ADDRESS", "IP_ADDRESS", Kind.DIRECT, "IPv4 or IPv6 address"),
    Entity("MAC_ADDRESS", "ID_NUMBER", Kind.DIRECT, "network hardware address"),
    Entity("IBAN_CODE", "IBAN", Kind.DIRECT, "international bank account number"),
    Entity("US_BANK_NUMBER", "ID_NUMBER", Kind.DIRECT, "US bank account number (with context)"),
    Entity("ABA_ROUTING_NUMBER", "ID_NUMBER", Kind.DIRECT, "US bank routing number (ABA checksum)"),
    Entity("US_PASSPORT", "ID_NUMBER", Kind.DIRECT, "passport number (with context)"),
    Entity("US_DRIVER_LICENSE", "ID_NUMBER", Kind.DIRECT, "driver licence number (with context)"),
    Entity("DATE_OF_BIRTH", "DATE_TIME", Kind.QUASI, "a date with birth context"),
    Entity("STREET_ADDRESS", "ADDRESS", Kind.DIRECT, "street address with number, street, unit, ZIP"),
    # A postcode alone is a quasi-identifier (with a birth date and gender it singles most people
    # out); a full UK postcode covers about fifteen addresses, a US ZIP code thousands.
    Entity("POSTAL_CODE", "ADDRESS", Kind.QUASI,
           "postcode said to be someone's, or a full UK / Canadian postcode after a town or postcode word"),
    Entity("URL", "URL", Kind.QUASI, "URL or domain name"),
    Entity("CREDENTIAL_URL", "SECRET", Kind.SECRET, "URL carrying a password or personal token"),
    Entity("TRACKING_NUMBER", "ID_NUMBER", Kind.DIRECT, "parcel tracking number (UPS, FedEx, USPS, DHL)"),
    Entity("VIN", "ID_NUMBER", Kind.DIRECT, "vehicle identification number"),
    Entity("IMEI", "ID_NUMBER", Kind.DIRECT, "mobile device IMEI"),
    Entity("ADVERTISING_ID", "ID_NUMBER", Kind.DIRECT, "mobile advertising id (IDFA / GAID)"),
    Entity("ACCOUNT_ID", "ID_NUMBER", Kind.DIRECT, "customer, member, subscriber, employee or student id (with context)"),
    Entity("MEDICAL_RECORD_NUMBER", "ID_NUMBER", Kind.DIRECT, "medical record or patient id (with context)"),
    Entity("US_MBI", "ID_NUMBER", Kind.DIRECT, "US Medicare beneficiary identifier (with context)"),
    Entity("USERNAME", "ID_NUMBER", Kind.DIRECT,
           "an account's user name or login handle, given after a user name or login cue"),
    Entity("CRYPTO", "ID_NUMBER", Kind.DIRECT,
           "cryptocurrency wallet address (Bitcoin with its checksum; Ethereum with context or EIP-55)"),
    Entity("SWIFT_CODE", "ID_NUMBER", Kind.QUASI, "a bank's BIC / SWIFT code (with context)"),
    Entity("LICENSE_PLATE", "ID_NUMBER", Kind.DIRECT, "vehicle registration plate, after its cue"),
    Entity("GPS_COORDINATES", "LOCATION", Kind.DIRECT, "latitude and longitude to four or more decimals"),
    # National ids outside the US (Presidio's names where it has one)
    *(Entity(name, "ID_NUMBER", Kind.DIRECT, description) for name, description in (
        ("UK_NHS", "UK NHS number (mod 11, with context)"),
        ("UK_NINO", "UK National Insurance number"),
        ("CA_SIN", "Canadian social insurance number (Luhn, with context)"),
        ("US_EIN", "US employer identification number (with context)"),
        ("MX_CURP", "Mexican CURP"),
        ("BR_CPF", "Brazilian CPF"),
        ("ES_NIF", "Spanish DNI / NIF"),
        ("ES_NIE", "Spanish foreigner id (NIE)"),
        ("IT_FISCAL_CODE", "Italian codice fiscale"),
        ("FR_NIR", "French social security number (NIR)"),
        ("DE_TAX_ID", "German tax id (Steuer-ID, with context)"),
        ("NL_BSN", "Dutch citizen service number (BSN, with context)"),
        ("PL_PESEL", "Polish PESEL (with context)"),
        ("FI_PERSONAL_IDENTITY_CODE", "Finnish personal identity code (HETU)"),
        ("SE_PERSONNUMMER", "Swedish personal identity number (with context)"),
        ("DK_CPR", "Danish CPR number (with context)"),
        ("IE_PPS", "Irish PPS number (with context)"),
        ("IN_AADHAAR", "Indian Aadhaar number (Verhoeff, with context)"),
        ("IN_PAN", "Indian permanent account number (with context)"),
        ("AU_TFN", "Australian tax file number (with context)"),
        ("AU_ABN", "Australian business number (with context)"),
        ("SG_NRIC_FIN", "Singapore NRIC / FIN"),
        ("KR_RRN", "Korean resident registration number"),
        ("CN_RIC", "Chinese resident identity card number"),
        ("ZA_ID", "South African identity number (with context)"),
        ("NATIONAL_ID", "a national id or identity card number right after its cue"),
    )),
    Entity("API_KEY", "SECRET", Kind.SECRET, "vendor API key or token"),
    Entity("CARD_SECURITY_CODE", "SECRET", Kind.SECRET, "a card's CVV / CVC after its cue"),
    Entity("PRIVATE_KEY", "SECRET", Kind.SECRET, "PEM private key block"),
    Entity("PASSWORD", "SECRET", Kind.SECRET, "password, PIN or one-time code, or a secret in an assignment"),
    Entity("JWT", "SECRET", Kind.SECRET, "JSON web token"),
    Entity("LOCATION", "LOCATION", Kind.QUASI, "city, region, country, place"),
    Entity("ORGANIZATION", "ORGANIZATION", Kind.QUASI, "company or institution"),
    Entity("NRP", "OTHER", Kind.QUASI, "nationality, religious or political group"),
    Entity("DATE_TIME", "DATE_TIME", Kind.CONTEXT, "a plain date or time"),
]

ENTITIES: dict[str, Entity] = {e.name: e for e in _CATALOGUE}


def category_of(entity: str) -> str:
    """Coarse label used by the labelled corpora; unknown (user-defined) entities are ID_NUMBER."""
    known = ENTITIES.get(entity)
    return known.category if known else "ID_NUMBER"


def kind_of(entity: str) -> Kind:
    known = ENTITIES.get(entity)
    return known.kind if known else Kind.DIRECT
