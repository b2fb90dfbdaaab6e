"""Checksum and registry validators: known-good and known-bad values, incl. the reference libs."""
from __future__ import annotations

import re

import pytest

from detectors import validators as v


@pytest.mark.parametrize("number", [
    "4111 1111 1111 1111", "4012888888881881", "5555555555554444", "2221000000000009",
    "2720 9999 9999 9996", "378282246310005", "3782-822463-10005", "6011111111111117",
    "3530111333300000", "30569309025904", "36227206271667",
])
def test_credit_card_valid(number):
    assert v.credit_card(number)


@pytest.mark.parametrize("number", [
    "4111 1111 1111 1112",          # Luhn
    "1234567812345670",             # Luhn-valid, no issuer
    "4111 1111-1111 1111",          # mixed separators
    "0000000000000000",
    "6200000000000005",             # UnionPay: only the regional rule (with context)
    "2721000000000007",             # just past the Mastercard 2-series
])
def test_credit_card_invalid(number):
    assert not v.credit_card(number)


def test_credit_card_regional():
    assert v.credit_card_regional("6200000000000005")
    assert v.credit_card_regional("6759649826438453")
    assert not v.credit_card_regional("4111111111111111")


@pytest.mark.parametrize(("ssn", "ok"), [
    ("536-32-3065", True), ("185 88 1021", True), ("185881021", True),
    ("000-12-3456", False), ("666-12-3456", False), ("900-12-3456", False), ("999-12-3456", False),
    ("123-00-4567", False), ("123-45-0000", False), ("078-05-1120", True), ("123-45-6789", True), ("111-11-1111", False),
    ("123-45 6789", False),
])
def test_us_ssn(ssn, ok):
    assert v.us_ssn(ssn) is ok


def test_us_itin():
    assert v.us_itin("912-70-1234") and v.us_itin("945 88 1234")
    assert not v.us_itin("912-40-1234") and not v.us_itin("812-70-1234") and not v.us_itin("912-89-1234")


def test_aba_routing():
    assert v.aba_routing("011000015") and v.aba_routing("121000358")
    assert not v.aba_routing("011000016") and not v.aba_routing("991000015")


@pytest.mark.parametrize(("ip", "ok"), [
    ("10.0.0.1", True), ("192.168.1.254", True), ("255.255.255.255", True), ("0.0.0.0", True),
    ("256.1.1.1", False), ("10.0.14040.3605", False), ("01.2.3.4", False), ("1.2.3", False),
])
def test_ipv4(ip, ok):
    assert v.ipv4(ip) is ok


def test_ipv6():
    assert v.ipv6("2001:db8:85a3::8a2e:370:7334") and v.ipv6("fe80::1ff:fe23:4567:890a%eth0") and v.ipv6("::1")
    assert not v.ipv6("12:30:45") and not v.ipv6("::") and not v.ipv6("2001:db8::g1")


def test_mac():
    assert v.mac("00:1A:2B:3C:4D:5E") and not v.mac("00:00:00:00:00:00")


@pytest.mark.parametrize("value", [
    "DE89370400440532013000", "GB29 NWBK 6016 1331 9268 19", "ES21 0383 8606 9176 8517 5797",
    "gb82west12345698765432", "FR1420041010050500013M02606", "NO9386011117947",
])
def test_iban_valid_and_agrees_with_stdnum(value):
    from stdnum import iban
    assert v.iban(value)
    assert iban.is_valid(value)


@pytest.mark.parametrize("value", ["DE89370400440532013001", "GB29 NWBK 6016 1331 9268 18", "XX89370400440532013000",
                                   "DE8937040044053201300"])
def test_iban_invalid(value):
    assert not v.iban(value)


def test_tracking_numbers():
    assert v.ups("1Z999AA10123456784") and v.ups("1Z 999 AA1 01 2345 678 4")
    assert not v.ups("1Z999AA10123456785")
    assert v.fedex12("526915956410") and not v.fedex12("526915956411")
    assert v.fedex15("123456789012343") and not v.fedex15("123456789012340")
    assert v.fedex("526915956410") and v.fedex("123456789012343") and not v.fedex("1234567890123")
    assert v.usps("9400111899223397623913") and not v.usps("9400111899223397623911")
    assert v.usps("RB123456785GB") and not v.usps("RB123456784GB")
    assert v.dhl("1234567891") and not v.dhl("1234567890")


def test_vin_imei():
    assert v.vin("1HGCM82633A004352") and v.vin("1M8GDM9AXKP042788")
    assert not v.vin("1HGCM82633A004353") and not v.vin("1HGCM82633A00435I")
    assert v.imei("490154203237518") and not v.imei("490154203237519")


def test_dates_and_times():
    assert v.date("2/18/2024") and v.date("2024-05-08") and v.date("24.12.2024")
    assert not v.date("13/45/2020") and not v.date("2024-13-01")
    assert v.clock("7:30 pm") and v.clock("23:59:01") and v.clock("5pm")
    assert not v.clock("13:30 pm") and not v.clock("24:99") and not v.clock("14 pm")
    assert v.month_date("February 17") and v.month_date("5 Jan 2025")
    assert not v.month_date("Mayday 5") and not v.month_date("may 2019")


def test_secrets_and_urls():
    assert v.jwt("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.sig")
    assert not v.jwt("eyJub3QiOiJ0aGVyZSJ9.eyJ4IjoxfQ.x")
    assert v.high_entropy("9f8e7d6c5b4a39281706f5e4d3c2b1a0") and not v.high_entropy("aaaaaaaaaaaaaaaaaaaa1")
    assert v.password("hunter2!") and not v.password("required") and not v.password("${DB_PASSWORD}")
    assert v.password_prose("Tr0ub4dor&3") and not v.password_prose("incorrect")
    assert v.domain("example.com") and v.domain("mail.google.com") and v.domain("shop.co.uk")
    assert not v.domain("report.pdf") and not v.domain("setup.py") and not v.domain("it.It")
    assert v.email("a@example.com") and not v.email("logo@2x.png")


def test_unknown_validator_names_known_ones():
    with pytest.raises(KeyError, match="luhn"):
        v.get_validator("no-such-validator")


@pytest.mark.parametrize("text", ["4111 1111 1111 1111", "4111-1111-1111-1111", "4111111111111111", "12.34/56",
                                  "٤١١١ ١١١١", "4111 ²222", "12\u00a034", " - ", "", "1-2 3", "𝟗9 9"])
def test_digits_of_fast_path_equals_the_regex(text):
    assert v.digits_of(text) == (text if text.isdigit() else re.sub(r"\D+", "", text))


@pytest.mark.parametrize("digits", ["4111111111111111", "4111111111111112", "79927398713", "0", "00",
                                    "٤١١١١١١١١١١١١١١١", "378282246310005", "6011111111111117"])
def test_luhn_byte_sums_equal_the_digit_sums(digits):
    rev = digits[::-1]
    expected = (sum(map(int, rev[0::2])) + sum(v._LUHN_DOUBLE[int(c)] for c in rev[1::2])) % 10 == 0
    assert v._luhn_digits(digits) == expected


# ------------------------------------------------------------------ accounts, records, crypto

@pytest.mark.parametrize(("number", "ok"), [
    ("48291034", True), ("000123456789", True), ("12345678901234567", True),
    ("00000000", False),                 # one digit repeated
    ("4111111111111111", False),         # a card number: the card rules' finding
])
def test_bank_account(number, ok):
    assert v.bank_account(number) is ok


@pytest.mark.parametrize(("value", "ok"), [
    ("00482913", True), ("4821-993", True), ("A-99231", True), ("W123456789", True),
    ("A-123", False), ("0000", False), ("MR-1111-11", False),
])
def test_record_id(value, ok):
    assert v.record_id(value) is ok


@pytest.mark.parametrize(("value", "ok"), [
    ("jdoe", True), ("mary.k", True), ("kuhlman_88", True),
    ("required", False), ("taken", False), ("admin", False), ("ab", False), ("12345", False),
])
def test_username(value, ok):
    assert v.username(value) is ok


@pytest.mark.parametrize(("value", "ok"), [
    ("jsmith1987", True), ("kuhlman_88", True), ("mary.k", True), ("troll-king", True),
    ("logged", False), ("field", False), ("guide", False), ("v2.1", False), ("2024", False),
])
def test_username_handle(value, ok):
    assert v.username_handle(value) is ok


@pytest.mark.parametrize(("value", "ok"), [
    ("Xk#92!lmQ", True), ("hunter22", True), ("482913", True),
    ("reset", False), ("manager", False), ("reset-link", False), ("(optional)", False), ("****", False),
])
def test_password_bare(value, ok):
    assert v.password_bare(value) is ok


@pytest.mark.parametrize(("code", "ok"), [
    ("LS1 4AP", True), ("SW1A 1AA", True), ("M1 1AE", True), ("EC1A 1BB", True), ("W1A 0AX", True),
    ("B33 8TH", True), ("CR2 6XH", True), ("DN55 1PT", True), ("GIR 0AA", True), ("SW1A1AA", True),
    ("K1A 0B1", True), ("M5V 3L9", True), ("K1A0B1", True),
    ("LS1 4CP", False),                  # C is no inward letter
    ("QS1 4AP", False),                  # Q is no area letter
    ("ZZ1 1ZZ", False), ("D1A 0B1", False), ("K1A 0B", False), ("RTX 4070", False), ("ls1 4ap", False),
])
def test_uk_ca_postcode(code, ok):
    assert v.uk_ca_postcode(code) is ok


@pytest.mark.parametrize(("address", "ok"), [
    ("1BoatSLRHtKNngkdXEeobR76b53LETtpyT", True),         # P2PKH
    ("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", True),          # P2SH
    ("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", True),  # bech32, v0
    ("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", True),  # BIP 173, upper case
    ("bc1p5cyxnuxmeuwuvkwfem96lqzszd02n6xdcjrs20cac6yqjjwudpxqkedrcr", True),  # taproot, bech32m
    ("bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs", True),        # BIP 350, version 16
    ("1BoatSLRHtKNngkdXEeobR76b53LETtpyU", False),         # base58 checksum
    ("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdr", False), # bech32 checksum
    ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh", False), # BIP 350: v0 with a bech32m checksum
    ("Bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", False), # mixed case
    ("2BoatSLRHtKNngkdXEeobR76b53LETtpyT", False),
])
def test_bitcoin(address, ok):
    assert v.bitcoin(address) is ok


def test_keccak256_known_digests():
    """Ethereum's Keccak-256, not NIST SHA3-256 (which hashlib has and which differs)."""
    import hashlib
    assert v.keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    assert v.keccak256(b"").hex() != hashlib.sha3_256(b"").hexdigest()


# EIP-55's own test vectors.
_EIP55 = ["0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
          "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"]


@pytest.mark.parametrize("address", _EIP55)
def test_eip55_vectors(address):
    k = max(i for i, c in enumerate(address) if c.isalpha() and i > 1)  # its last letter, case flipped
    flipped = address[:k] + address[k].swapcase() + address[k + 1:]
    assert v.eip55(address) and v.ethereum(address)
    assert not v.eip55(flipped) and not v.ethereum(flipped)
    assert not v.eip55(address.lower()) and v.ethereum(address.lower())  # one case: no checksum


def test_ethereum_shape():
    assert v.ethereum("0x52908400098527886E0F7030069857D2E4169EE7")
    assert not v.ethereum("0x" + "0" * 40)
    assert not v.ethereum("0x52908400098527886E0F7030069857D2E4169EE")
    assert not v.ethereum("52908400098527886E0F7030069857D2E4169EE7aa")


@pytest.mark.parametrize(("value", "ok"), [
    ("hunter2!", True), ("/Xy7!pQ", True), ("r00t!Pass", True),
    ("/home/kpatel", False), ("/var/lib/app", False), ("~/secrets/db.txt", False), ("./run", False),
    ("enabled", False), ("random", False), ("undefined", False),
])
def test_password_rejects_paths_and_setting_words(value, ok):
    """'PWD=/home/kpatel' in sudo logs is a working directory; 'ROOT_PASSWORD=random' a setting."""
    assert v.password(value) is ok


@pytest.mark.parametrize(("name", "value", "ok"), [
    ("stdnum:gb.nhs", "943 476 5919", True), ("stdnum:gb.nhs", "943 476 5918", False),
    ("stdnum:in_.aadhaar", "4073 2021 5273", True), ("stdnum:in_.aadhaar", "4073 2021 5274", False),
    ("stdnum:ca.sin", "732 926 126", True), ("stdnum:ca.sin", "046 454 287", False),
])
def test_stdnum_validators_by_name(name, value, ok):
    assert v.get_validator(name)(value) is ok
    assert v.get_validator(name) is v.get_validator(name)  # resolved once, then registered


def test_stdnum_validator_of_a_missing_module_names_it():
    with pytest.raises(KeyError, match=r"stdnum\.xx\.nothing"):
        v.get_validator("stdnum:xx.nothing")


@pytest.mark.parametrize(("nino", "ok"), [
    ("AB 12 34 56 C", True), ("JG103759A", True),
    ("GB123456A", False), ("NK123456B", False), ("ZZ123456D", False), ("AB12345C", False),
])
def test_uk_nino(nino, ok):
    assert v.uk_nino(nino) is ok


@pytest.mark.parametrize(("nric", "ok"), [
    ("S1234567D", True), ("s1234567d", True),
    ("S1234567A", False), ("M1234567D", False), ("S123456D", False),
])
def test_sg_nric(nric, ok):
    assert v.sg_nric(nric) is ok


@pytest.mark.parametrize(("pair", "ok"), [
    ("40.7128, -74.0060", True), ("51.5074° N, 0.1278° W", True), ("-33.8688,151.2093", True),
    ("95.1234, 10.1234", False),          # latitude beyond 90
    ("45.1234, 190.1234", False),         # longitude beyond 180
    ("0.0000, 0.0000", False),            # null island, a placeholder
    ("51.5074 E, 0.1278 N", False),       # hemisphere letters on the wrong axes
])
def test_coordinates(pair, ok):
    assert v.coordinates(pair) is ok


@pytest.mark.parametrize(("plate", "ok"), [
    ("7ABC123", True), ("AB12 CDE", True), ("KA-01-HH-1234", True),
    ("2024", False), ("ABCDEF", False), ("A", False), ("ABCDE12345X", False),
])
def test_license_plate(plate, ok):
    assert v.license_plate(plate) is ok


def test_generic_check_digit_validators():
    assert v.get_validator("mod97")("1234 5676") and not v.get_validator("mod97")("1234 5677")
    assert v.mod11("0000-0002-1825-0097") and v.mod11("0000-0002-1694-233X")  # ORCID iDs
    assert not v.mod11("0000-0002-1825-0098") and not v.mod11("")
