"""Recurring problems (高发问题, docs/dashboards.md "Hot spots").

Cases of one category reported within a rule's time window whose points lie within the rule's radius of
each other — chained, so a row of reports along one street is one problem — form a cluster (single linkage:
DBSCAN with a minimum of one neighbour); a cluster of at least ``min_cases`` cases is a recurring problem.
Distances are metres on a local flat projection (equirectangular), exact enough within a city.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

M_PER_DEG_LAT = 110_540.0
M_PER_DEG_LNG_EQUATOR = 111_320.0


@dataclass(frozen=True)
class Point:
    id: int
    lat: float
    lng: float
    at: datetime
    area_code: str


@dataclass
class Cluster:
    points: list[Point]

    @property
    def lat(self) -> float:
        return sum(p.lat for p in self.points) / len(self.points)

    @property
    def lng(self) -> float:
        return sum(p.lng for p in self.points) / len(self.points)

    @property
    def radius_m(self) -> int:
        lat, lng = self.lat, self.lng
        return round(max(distance_m(lat, lng, p.lat, p.lng) for p in self.points))

    @property
    def first_at(self) -> datetime:
        return min(p.at for p in self.points)

    @property
    def last_at(self) -> datetime:
        return max(p.at for p in self.points)

    @property
    def area_code(self) -> str:
        """The grid holding most of the cases (the lowest code on a tie)."""
        counts = Counter(p.area_code for p in self.points)
        return min(counts, key=lambda code: (-counts[code], code))

    @property
    def ids(self) -> list[int]:
        return sorted(p.id for p in self.points)


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    scale = M_PER_DEG_LNG_EQUATOR * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot((lng2 - lng1) * scale, (lat2 - lat1) * M_PER_DEG_LAT)


class Near:
    """Things with a ``lat`` and ``lng`` put in square cells of about ``cell_m`` metres, so the ones within a
    distance of a place are found by looking only in the cells that distance can reach."""

    def __init__(self, items: Sequence, cell_m: float, lat0: float | None = None) -> None:
        self.items = list(items)
        lat0 = (
            lat0
            if lat0 is not None
            else (sum(i.lat for i in self.items) / len(self.items) if self.items else 0)
        )
        self.cell_m = max(cell_m, 1.0)
        self.cell_lat = self.cell_m / M_PER_DEG_LAT
        self.cell_lng = self.cell_m / (M_PER_DEG_LNG_EQUATOR * math.cos(math.radians(lat0)))
        self.cells: dict[tuple[int, int], list[int]] = {}
        for index, item in enumerate(self.items):
            self.cells.setdefault(self.key(item.lat, item.lng), []).append(index)

    def key(self, lat: float, lng: float) -> tuple[int, int]:
        return math.floor(lat / self.cell_lat), math.floor(lng / self.cell_lng)

    def within(self, lat: float, lng: float, radius_m: float) -> list[int]:
        """The indices of the items within ``radius_m`` of (lat, lng)."""
        ky, kx = self.key(lat, lng)
        reach = math.ceil(radius_m / self.cell_m) + 1  # a cell's width varies a little with the latitude
        found = []
        for dy in range(-reach, reach + 1):
            for dx in range(-reach, reach + 1):
                for index in self.cells.get((ky + dy, kx + dx), ()):
                    item = self.items[index]
                    if distance_m(lat, lng, item.lat, item.lng) <= radius_m:
                        found.append(index)
        return found


def clusters(points: Sequence[Point], radius_m: float, min_cases: int) -> list[Cluster]:
    """The connected groups of points within ``radius_m`` of one another (chained), of at least
    ``min_cases`` points, largest first. Each point is compared only with the points of the cells around
    it (:class:`Near`)."""
    if not points or radius_m <= 0:
        return []
    near = Near(points, radius_m)
    parent = list(range(len(points)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, p in enumerate(points):
        for j in near.within(p.lat, p.lng, radius_m):
            if j > i:
                a, b = find(i), find(j)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    groups: dict[int, list[Point]] = {}
    for i, p in enumerate(points):
        groups.setdefault(find(i), []).append(p)
    found = [Cluster(sorted(g, key=lambda p: (p.at, p.id))) for g in groups.values() if len(g) >= min_cases]
    found.sort(key=lambda c: (-len(c.points), c.first_at, c.ids[0]))
    return found


# ---------------------------------------------------------------- by words (M14)
#
# A recurring problem is found per category (above). Reporters choose categories differently — a loose
# manhole cover is filed under roads by one and under municipal facilities by another — and a street leader
# asks "what is it, in residents' words?" So a problem carries:
#
# * its common words: the bigrams used by at least a third of its reports (and by two at least), with how
#   many reports use each; and
# * the reports of other categories that join it by words: located within ``radius_m`` of one of its cases,
#   reported in its time span widened by ``window``, whose words are alike (cosine ≥ a minimum) to the
#   problem's words (the sum of its reports' profiles), each with its similarity and the words it shares.
#
# Profiles come from ``gridgov.cases.selectors.case_text_profile`` (personal data masked and dropped, words
# of place and urgency left out), so no phone number, ID number or name is ever shown as a word.


@dataclass(frozen=True)
class Said:
    """A located report, its words (a bigram profile) and its text as cleaned (personal data masked), which
    turns shared bigrams into the phrases shown."""

    id: int
    lat: float
    lng: float
    at: datetime
    words: Counter
    text: str = ""


@dataclass(frozen=True)
class Joined:
    """A report of another category joining a problem by words."""

    id: int
    similarity: float
    words: list[str]
    distance_m: float


def common_words(profiles: Sequence[Counter], limit: int = 6) -> list[tuple[str, int]]:
    """The bigrams used by at least a third of the reports (and two at least), most used first: (bigram,
    number of reports using it)."""
    used: Counter = Counter()
    for words in profiles:
        used.update(set(words))
    least = max(2, math.ceil(len(profiles) / 3))
    common = [(word, n) for word, n in used.items() if n >= least]
    common.sort(key=lambda item: (-item[1], item[0]))
    return common[:limit]


def common_phrases(said: Sequence[Said], limit: int = 6) -> list[tuple[str, int]]:
    """:func:`common_words` as a person reads them: the runs of the reports' texts made of common bigrams
    (one run of several characters rather than its overlapping bigrams), each with the number of reports whose text holds it, used
    by a third of the reports and two at least; a phrase inside a longer one used as often is left out."""
    from gridgov.core.text import phrases

    bigrams = {word for word, _n in common_words([s.words for s in said], limit=100)}
    if not bigrams:
        return []
    found = {p for s in said for p in phrases(s.text, bigrams, limit=50)}
    used = {p: sum(1 for s in said if p in s.text) for p in found}
    least = max(2, math.ceil(len(said) / 3))
    kept: list[tuple[str, int]] = []
    for p in sorted(used, key=lambda p: (-used[p], -len(p), p)):
        if used[p] >= least and not any(p in k and n >= used[p] for k, n in kept):
            kept.append((p, used[p]))
    return kept[:limit]


def joined_by_words(
    members: Sequence[Said], others: Sequence[Said], radius_m: float, min_similarity: float, limit: int = 20
) -> list[Joined]:
    """The ``others`` within ``radius_m`` of a member whose words are alike to the members' together, the
    most alike first (the caller chooses ``others`` by category and time)."""
    from gridgov.core.text import cosine, phrases, shared

    if not members or not others:
        return []
    together: Counter = Counter()
    for m in members:
        together.update(m.words)
    near = Near(members, radius_m)
    found = []
    for other in others:
        hits = near.within(other.lat, other.lng, radius_m)
        if not hits or not other.words:
            continue
        similarity = cosine(together, other.words)
        if similarity < min_similarity:
            continue
        closest = min(distance_m(other.lat, other.lng, members[i].lat, members[i].lng) for i in hits)
        common = shared(together, other.words, limit=50)
        words = phrases(other.text, common, limit=5) if other.text else common[:5]
        found.append(Joined(other.id, round(similarity, 2), words, closest))
    found.sort(key=lambda j: (-j.similarity, j.distance_m, j.id))
    return found[:limit]
