"""Re-identification risk in query and event logs: the AOL lesson.

AOL's 2006 release replaced user names with numbers and kept the queries. Reporters found user
4417749 from queries only she had typed (her town, her neighbours' surname). Two checks follow:

* **rare values**: a query (or any value of a query field) issued by fewer than ``k`` distinct
  users is as good as a signature. It is counted per field, by keyed fingerprint.
* **user combinations**: a user whose own records, taken together, contain a person name and a
  place or another quasi-identifier can be found, even if every single record looks harmless.

Memory stays bounded by the number of distinct values, not by the number of records: a value is
an 8-byte fingerprint, its users a set capped at ``k`` (a value seen from ``k`` users can never
become rare again, so its set is dropped).
"""
from __future__ import annotations

from collections.abc import Iterator

_SATURATED = None  # entry of a value already seen from k users
_MISSING = object()


class RareCounter:
    """Distinct users per value fingerprint, capped at ``k``, one table per field.

    An entry is the one user's fingerprint (the common case of a value seen once: no set, no list),
    a ``[records, {users}]`` list, or ``None`` once ``k`` users were seen. About 100 bytes per
    distinct value."""

    def __init__(self, k: int) -> None:
        self.k = k
        self.by_field: dict[str, dict[int, int | list | None]] = {}
        self.occurrences = 0

    def add(self, field: str, value_fp: int, user_fp: int) -> None:
        self.occurrences += 1
        values = self.by_field.get(field)
        if values is None:
            values = self.by_field[field] = {}
        entry = values.get(value_fp, _MISSING)
        if entry is _MISSING:
            values[value_fp] = user_fp
            return
        if entry is _SATURATED:
            return
        if isinstance(entry, int):
            entry = [1, {entry}]
            values[value_fp] = entry
        entry[0] += 1
        entry[1].add(user_fp)
        if len(entry[1]) >= self.k:
            values[value_fp] = _SATURATED

    def rare(self) -> Iterator[tuple[int, str, int, int]]:
        """(value fp, field, distinct users, records) of every value below k, by field then
        fingerprint."""
        for name in sorted(self.by_field):
            values = self.by_field[name]
            for vfp in sorted(v for v, e in values.items() if e is not _SATURATED):
                entry = values[vfp]
                if isinstance(entry, int):
                    yield vfp, name, 1, 1
                else:
                    yield vfp, name, len(entry[1]), entry[0]

    @property
    def distinct(self) -> int:
        return sum(len(v) for v in self.by_field.values())


class UserCombos:
    """Per user: which name and quasi-identifier entities their records held (a bit mask), and
    how many records they have, so a release knows how much dropping them costs."""

    def __init__(self, name_mask: int, quasi_mask: int, min_quasi: int) -> None:
        self.name_mask = name_mask
        self.quasi_mask = quasi_mask
        self.min_quasi = min_quasi
        self.bits: dict[int, int] = {}
        self.records: dict[int, int] = {}

    def add(self, user_fp: int, bits: int) -> None:
        self.bits[user_fp] = self.bits.get(user_fp, 0) | bits
        self.records[user_fp] = self.records.get(user_fp, 0) + 1

    def flagged(self) -> Iterator[tuple[int, int, int]]:
        """(user fp, bits, records) of every user whose records combine a name with enough
        quasi-identifiers, in fingerprint order."""
        for ufp in sorted(self.bits):
            bits = self.bits[ufp]
            if bits & self.name_mask and bin(bits & self.quasi_mask).count("1") >= self.min_quasi:
                yield ufp, bits, self.records[ufp]

    @property
    def users(self) -> int:
        return len(self.bits)
