"""k-anonymity of tabular data over its quasi-identifier columns.

Sweeney showed that ZIP code, birth date and gender alone single out most Americans. A record is
safe to the degree that at least ``k - 1`` other records share its quasi-identifier values (its
equivalence class). We count classes by keyed fingerprint of the joined values, per set of
quasi-identifier columns (files of one dataset can differ in columns), and report the smallest
class and the records in classes below ``k``.
"""
from __future__ import annotations

from collections import Counter


class KAnonCounter:
    def __init__(self, k: int) -> None:
        self.k = k
        self.classes: dict[tuple[str, ...], Counter[int]] = {}

    def add(self, columns: tuple[str, ...], class_fp: int) -> None:
        self.classes.setdefault(columns, Counter())[class_fp] += 1

    def small_classes(self) -> set[tuple[tuple[str, ...], int]]:
        """(columns, class fp) of every class below k: what a release suppresses."""
        return {(cols, fp) for cols, counter in self.classes.items() for fp, n in counter.items() if n < self.k}

    def summary(self) -> list[dict]:
        out = []
        for cols in sorted(self.classes):
            counter = self.classes[cols]
            below = [n for n in counter.values() if n < self.k]
            out.append({
                "columns": list(cols),
                "records": sum(counter.values()),
                "classes": len(counter),
                "min_k": min(counter.values()) if counter else 0,
                "classes_below_k": len(below),
                "records_below_k": sum(below),
            })
        return out
