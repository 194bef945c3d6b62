"""Finding duplicated and shadow systems from their Chinese names, functions and data items. Pure: no I/O.

**Why character n-grams, not a word tokenizer.** Chinese has no spaces, so words need a segmenter. The
usual ones (jieba, pkuseg, HanLP) are not dependencies of this project and need dictionaries or models that
cannot be downloaded here; a dictionary also splits the census's free text (abbreviations such as 人防 or
残联, 12345热线, bureau jargon, typos) unpredictably, so two spellings of one function can land in different
tokens. Overlapping character bigrams and trigrams need no dictionary, cover every term whatever its
segmentation (特种设备 yields 特种, 种设, 设备, 特种设, 种设备) and are the standard approach to CJK retrieval
(Lucene's CJK bigram analyzer works the same way). Generic n-grams (系统, 管理, 平台, 数据, the forms'
boilerplate) occur everywhere, so inverse document frequency gives them little or no weight without any
stop-word list.

**Features.** Three fields per system: the n-grams of its name, the n-grams of its function, and the names
of the data items (信息项) of its catalogue entries, taken whole (an item name is already a curated term;
n-grams of it would make 企业名称 match 场所名称). Text is NFKC-normalised and split at punctuation first, so
no n-gram spans two clauses.

**Score.** Each field is a binary vector weighted by IDF, ``ln((N + 1) / (df + 1))`` over the N systems
(zero for a term every system has), normalised to unit length. The text similarity is the weighted mean
of the name's and the function's cosines; shared data items can raise the score, never lower it::

    text  = (w_name·cos_name + w_function·cos_function) / (w_name + w_function)
    score = (1 − w_data)·text + w_data·max(cos_data, text)

A department's systems share its vocabulary of items whatever they do, and a shadow system in another
department names its items in its own words, so missing item overlap is no evidence. The weights sum to 1
and the score lies in [0, 1]. A census repeats names and functions (one bureau's systems in many
districts, form templates), so vectors are built once per distinct field value and each field's cosine is
memoised per pair of values.

**Gates.** A score mostly made of alike names is no evidence: two systems are duplicates only if their
functions' cosine reaches ``Gates.min_function`` AND their data items' cosine reaches ``Gates.min_data``
(the caller passes each system's *distinctive* data, without its department's common vocabulary). The gates
only remove pairs after scoring, so the index below finds every gated pair the naive scan finds.

**Not all pairs.** Comparing 20,000 systems pairwise is 200 million scores. Since each cosine is at most 1,
the score is at most ``w_f·cos_f + (1 − w_f)`` for the name and for the function, so a pair can reach the
threshold ``t`` only if ``cos_f ≥ θ = (t − (1 − w_f)) / w_f``; the field with the higher θ (the name, with
the default weights) is the *blocking field*. An inverted index maps its distinctive n-grams to the
distinct values holding them, and only values sharing an indexed n-gram become candidates; their cosine is
computed, and only the systems of value pairs reaching θ are scored.

An n-gram whose document frequency is above a cap (``max(min_df, max_df_share × N)``) says what kind of
system this is, not which one, and is left out of the index, yet without losing a pair: terms are ordered
globally, most common first, and each value leaves out the leading terms of its own list that are above the
cap, while their *reach* ``Σ x_t · max_t`` stays below θ (``max_t``: the term's largest weight in any value).
Take two values whose cosine reaches θ, and ``r`` the last (rarest) term they share. Had ``x`` left ``r``
out, every shared term, coming no later, would be left out too, and the cosine would be at most
``Σ x_t · max_t < θ`` over them. So ``r`` is indexed by both values and the pair is found. Values described
in common words only keep those indexed for that reason. :func:`naive_all_pairs` scores every pair with the
same scorer, for the benchmark and for the tests that both agree (when no θ is positive, i.e. a very low
threshold, every field is indexed with θ near 0 and any shared term makes a candidate).

**Counterpart departments.** The same bureau in different districts (departments whose parent chains end
at the same root, e.g. 东城区教育局 and 西城区教育局) runs the same functions for different territories by
mandate; their systems look alike without being shadows of each other. They are not compared unless asked
(``compare_counterparts``).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import re
import unicodedata
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from typing import TypeVar

_SEPARATORS = re.compile(r"[\W_]+")
_MAX_PHRASES = 4
_MAX_ITEMS = 2
_EPSILON = 1e-9

_K = TypeVar("_K", bound=Hashable)


@dataclasses.dataclass(frozen=True)
class Document:
    """What the finder compares for one system."""

    key: str
    department: str
    name: str
    function: str
    data_items: tuple[str, ...] = ()
    line: str | None = None
    """Root department of the department's parent chain; counterpart departments share it (default: itself)."""

    @property
    def department_line(self) -> str:
        return self.line if self.line is not None else self.department


@dataclasses.dataclass(frozen=True)
class Weights:
    """How much each field counts in the score; non-negative, summing to 1."""

    name: float = 0.5
    function: float = 0.4
    data: float = 0.1

    def __post_init__(self) -> None:
        values = (self.name, self.function, self.data)
        if min(values) < 0 or not math.isclose(sum(values), 1.0, abs_tol=1e-6):
            raise ValueError(f"field weights must be non-negative and sum to 1, got {values}")


@dataclasses.dataclass(frozen=True)
class Gates:
    """What a pair must share besides its score: function text AND data, so that alike names never suffice.

    ``min_function``: least cosine of the functions; ``min_data``: least cosine of the data items (0 turns a
    gate off). A pair scoring above the threshold on its names is still no duplicate unless both hold.
    """

    min_function: float = 0.0
    min_data: float = 0.0


NO_GATES = Gates()


@dataclasses.dataclass(frozen=True)
class DuplicatePair:
    """Two systems at or above the threshold; ``a`` sorts before ``b``."""

    a: str
    b: str
    score: float
    within_department: bool
    overlapping_terms: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class FinderStats:
    """What a run cost: pairs scored out of the possible ones."""

    documents: int
    possible_pairs: int
    pairs_scored: int
    pairs_found: int
    blocking_field: str
    indexed_terms: int
    terms_above_cap: int
    df_cap: int


@dataclasses.dataclass(frozen=True)
class FinderResult:
    pairs: tuple[DuplicatePair, ...]
    stats: FinderStats

    def pair_keys(self) -> frozenset[tuple[str, str]]:
        return frozenset((p.a, p.b) for p in self.pairs)


# ---------------------------------------------------------------------------------------------------------
# Text


def normalise(text: str) -> str:
    """NFKC (full-width letters, digits and brackets become plain ones) and lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def segments(text: str) -> list[str]:
    """Runs of letters, digits and CJK characters of the normalised text, split at punctuation and space."""
    return [s for s in _SEPARATORS.split(normalise(text)) if s]


def ngrams(text: str) -> frozenset[str]:
    """Character bigrams and trigrams of every segment; a one-character segment counts as itself."""
    grams: set[str] = set()
    for seg in segments(text):
        n = len(seg)
        if n == 1:
            grams.add(seg)
            continue
        grams.update([seg[i : i + 2] for i in range(n - 1)])
        grams.update([seg[i : i + 3] for i in range(n - 2)])
    return frozenset(grams)


# ---------------------------------------------------------------------------------------------------------
# Fields


class _Field:
    """One field over the corpus: its distinct values, their unit vectors, document frequencies, a dot cache."""

    def __init__(self, name: str, weight: float, values: Sequence[_K], terms_of: Callable[[_K], frozenset[str]]):
        self.name = name
        self.weight = weight
        ids: dict[_K, int] = {}
        self.value_of_doc: list[int] = [ids.setdefault(v, len(ids)) for v in values]
        self.values: list[_K] = list(ids)
        self.term_sets = [terms_of(v) for v in self.values]
        multiplicity = [0] * len(self.values)
        for v in self.value_of_doc:
            multiplicity[v] += 1
        df: dict[str, int] = {}
        for terms, count in zip(self.term_sets, multiplicity, strict=True):
            for t in terms:
                df[t] = df.get(t, 0) + count
        self.df = df
        log_n = math.log(len(values) + 1)
        self.idf = {t: log_n - math.log(c + 1) for t, c in df.items()}
        self.vectors: list[dict[str, float]] = []
        for terms in self.term_sets:
            weighted = {t: self.idf[t] for t in terms if self.idf[t] > 0.0}
            norm = math.sqrt(math.fsum(w * w for w in weighted.values()))
            self.vectors.append({t: w / norm for t, w in weighted.items()} if norm > 0.0 else {})
        self._dots: dict[int, float] = {}
        self._segments: dict[int, list[str]] = {}

    def dot(self, u: int, v: int) -> float:
        """Cosine of values ``u`` and ``v`` (memoised)."""
        if u == v:
            return 1.0 if self.vectors[u] else 0.0
        if u > v:
            u, v = v, u
        key = u * len(self.values) + v
        found = self._dots.get(key)
        if found is None:
            a, b = self.vectors[u], self.vectors[v]
            if len(a) > len(b):
                a, b = b, a
            common = a.keys() & b.keys()
            found = math.fsum([a[t] * b[t] for t in common]) if common else 0.0
            self._dots[key] = found
        return found

    def segments(self, u: int) -> list[str]:
        """The normalised segments of a text value (empty for a value that is not text)."""
        found = self._segments.get(u)
        if found is None:
            value = self.values[u]
            found = segments(value) if isinstance(value, str) else []
            self._segments[u] = found
        return found


class Corpus:
    """The documents and their fields' vectors; build once, then find duplicates in it.

    Document frequencies, and so the weights, come from this corpus: an indexed and a naive run on the same
    corpus compute exactly the same scores. A document's *profile* is its triple of field values; scores
    depend on profiles only, and are memoised per pair of profiles.
    """

    def __init__(
        self,
        documents: Sequence[Document],
        *,
        weights: Weights | None = None,
        max_df_share: float = 0.01,
        min_df: int = 50,
    ) -> None:
        keys = [d.key for d in documents]
        if len(set(keys)) != len(keys):
            raise ValueError("document keys must be unique")
        self.documents = tuple(documents)
        self.weights = weights or Weights()
        self.df_cap = max(min_df, int(max_df_share * len(self.documents)))
        self.name = _Field("name", self.weights.name, [d.name for d in documents], ngrams)
        self.function = _Field("function", self.weights.function, [d.function for d in documents], ngrams)
        self.data = _Field(
            "data",
            self.weights.data,
            [frozenset(normalise(i).strip() for i in d.data_items if i.strip()) for d in documents],
            frozenset,
        )
        self.fields = (self.name, self.function, self.data)
        self.lines = [d.department_line for d in documents]
        self.departments = [d.department for d in documents]
        ids: dict[tuple[int, int, int], int] = {}
        self.profile_of_doc = [
            ids.setdefault(triple, len(ids))
            for triple in zip(self.name.value_of_doc, self.function.value_of_doc, self.data.value_of_doc, strict=True)
        ]
        self.profiles = list(ids)
        self._scores: dict[int, float] = {}
        self._terms: dict[tuple[int, int], tuple[str, ...]] = {}
        self._phrases: dict[tuple[str, int, int], tuple[tuple[str, float], ...]] = {}

    def __len__(self) -> int:
        return len(self.documents)

    def score(self, i: int, j: int) -> float:
        """The similarity of documents ``i`` and ``j``, in [0, 1]."""
        return self.profile_score(self.profile_of_doc[i], self.profile_of_doc[j])

    def profile_score(self, p: int, q: int) -> float:
        """The similarity of two profiles (memoised); see the module docstring for the formula."""
        if p > q:
            p, q = q, p
        key = p * len(self.profiles) + q
        found = self._scores.get(key)
        if found is None:
            a, b = self.profiles[p], self.profiles[q]
            w_name, w_function, w_data = self.weights.name, self.weights.function, self.weights.data
            data = self.data.dot(a[2], b[2]) if w_data > 0.0 else 0.0
            if w_name + w_function > 0.0:
                text = w_name * self.name.dot(a[0], b[0]) if w_name > 0.0 else 0.0
                if w_function > 0.0:
                    text += w_function * self.function.dot(a[1], b[1])
                text /= w_name + w_function
                found = (1.0 - w_data) * text + w_data * max(data, text)
            else:
                found = data
            self._scores[key] = found
        return found

    def agrees(self, p: int, q: int, gates: Gates) -> bool:
        """Whether two profiles' functions and data overlap enough (see :class:`Gates`)."""
        a, b = self.profiles[p], self.profiles[q]
        return (
            self.function.dot(a[1], b[1]) >= gates.min_function - _EPSILON
            and self.data.dot(a[2], b[2]) >= gates.min_data - _EPSILON
        )

    def bound(self, field: _Field, threshold: float) -> float:
        """The least cosine ``field`` must reach for a pair to score ``threshold``.

        For the name and the function ``(t − (1 − w)) / w``; none for the data items, which never lower a
        score (unless they are all that is compared).
        """
        if field.weight <= 0.0:
            return -math.inf
        if field is self.data:
            return threshold if self.weights.name + self.weights.function == 0.0 else -math.inf
        return (threshold - (1.0 - field.weight)) / field.weight

    def comparable(self, i: int, j: int, *, compare_counterparts: bool) -> bool:
        """False for two systems of counterpart departments (same line, different department), unless asked."""
        return compare_counterparts or self.departments[i] == self.departments[j] or self.lines[i] != self.lines[j]

    def overlapping_terms(self, i: int, j: int) -> tuple[str, ...]:
        """What both share, readable: common phrases of name and function, most distinctive first, then items.

        A phrase is a maximal run of text covered by n-grams both have; it ranks by the IDF of its n-grams
        at or below the frequency cap, so shared boilerplate (查询和报表输出) is left out.
        """
        key = (self.profile_of_doc[i], self.profile_of_doc[j])
        found = self._terms.get(key)
        if found is None:
            phrases: dict[str, float] = {}
            for field in (self.name, self.function):
                for phrase, weight in self._field_phrases(field, field.value_of_doc[i], field.value_of_doc[j]):
                    phrases[phrase] = max(weight, phrases.get(phrase, 0.0))
            kept = [p for p in phrases if not any(p != q and p in q for q in phrases)]
            ranked = sorted(kept, key=lambda p: (-phrases[p], p))[:_MAX_PHRASES]
            data = self.data
            items = data.vectors[data.value_of_doc[i]].keys() & data.vectors[data.value_of_doc[j]].keys()
            ranked_items = sorted(items, key=lambda t: (-data.idf[t], t))[:_MAX_ITEMS]
            found = (*ranked, *(f"信息项:{t}" for t in ranked_items))
            self._terms[key] = found
        return found

    def _field_phrases(self, field: _Field, u: int, v: int) -> tuple[tuple[str, float], ...]:
        key = (field.name, u, v)
        found = self._phrases.get(key)
        if found is None:
            other_text = "\n".join(field.segments(v))
            runs = _common_runs(field.segments(u), other_text, field.vectors[v], field.idf, field.df, self.df_cap)
            found = tuple((phrase, weight) for phrase, weight in runs if weight > 0.0)
            self._phrases[key] = found
        return found


def _common_runs(
    texts: Sequence[str],
    other_text: str,
    shared: Mapping[str, float],
    idf: Mapping[str, float],
    df: Mapping[str, int],
    cap: int,
) -> Iterator[tuple[str, float]]:
    """Phrases of ``texts`` that ``other_text`` also contains, weighted by their distinctive n-grams.

    A run of characters covered by shared n-grams is cut into the longest pieces the other text contains
    (two shared n-grams can be adjacent here and apart there). A piece weighs the IDF of the n-grams at or
    below the frequency cap that start in it, so shared boilerplate weighs nothing.
    """
    for seg in texts:
        size = len(seg)
        hit = [False] * size
        weight = [0.0] * size
        for n in (2, 3):
            for k in range(size - n + 1):
                gram = seg[k : k + n]
                if gram in shared:
                    if df[gram] <= cap:
                        weight[k] += idf[gram]
                    for m in range(k, k + n):
                        hit[m] = True
        k = 0
        while k < size:
            if not hit[k]:
                k += 1
                continue
            end = k
            while end < size and hit[end]:
                end += 1
            start = k
            while start < end - 1:  # the longest piece from ``start`` the other text contains
                stop = end
                while stop - start >= 2 and seg[start:stop] not in other_text:
                    stop -= 1
                if stop - start >= 2:
                    yield seg[start:stop], sum(weight[start:stop])
                    start = stop
                else:
                    start += 1
            k = end


# ---------------------------------------------------------------------------------------------------------
# Finding pairs


def find_duplicates(
    corpus: Corpus, *, threshold: float, compare_counterparts: bool = False, gates: Gates = NO_GATES
) -> FinderResult:
    """Every comparable pair scoring at least ``threshold`` and passing ``gates``, scored through the index.

    The gates only remove pairs after scoring, so they never cost the index a pair.
    """
    _check_threshold(threshold)
    blocking = max(corpus.fields, key=lambda f: corpus.bound(f, threshold))
    theta = corpus.bound(blocking, threshold)
    # A very low threshold: no single field is necessary, any shared term of any field may be enough.
    passes = [(blocking, theta)] if theta > 0.0 else [(f, _EPSILON) for f in corpus.fields if f.weight > 0.0]
    found: dict[int, float] = {}
    scored: set[int] | int = set() if len(passes) > 1 else 0
    indexed: set[str] = set()
    skipped: set[str] = set()
    for field, bound in passes:
        block = _Block(corpus, field, bound, all_lines=compare_counterparts, track=len(passes) > 1)
        scored_here = block.run(threshold, found, gates)
        if isinstance(scored, set):
            scored |= block.scored_codes
        else:
            scored += scored_here
        indexed |= block.indexed_terms
        skipped |= block.skipped_terms
    n = len(corpus)
    pairs = sorted(
        (_pair(corpus, *divmod(code, n), score) for code, score in found.items()),
        key=lambda p: (-p.score, p.a, p.b),
    )
    stats = FinderStats(
        documents=n,
        possible_pairs=n * (n - 1) // 2,
        pairs_scored=len(scored) if isinstance(scored, set) else scored,
        pairs_found=len(pairs),
        blocking_field=blocking.name if theta > 0.0 else "all",
        indexed_terms=len(indexed),
        terms_above_cap=len(skipped - indexed),
        df_cap=corpus.df_cap,
    )
    return FinderResult(pairs=tuple(pairs), stats=stats)


def naive_all_pairs(
    corpus: Corpus, *, threshold: float, compare_counterparts: bool = False, gates: Gates = NO_GATES
) -> FinderResult:
    """The same score over every comparable pair: the reference :func:`find_duplicates` must agree with."""
    _check_threshold(threshold)
    n = len(corpus)
    pairs = []
    scored = 0
    for i, j in itertools.combinations(range(n), 2):
        if not corpus.comparable(i, j, compare_counterparts=compare_counterparts):
            continue
        scored += 1
        score = corpus.score(i, j)
        if score >= threshold and corpus.agrees(corpus.profile_of_doc[i], corpus.profile_of_doc[j], gates):
            pairs.append(_pair(corpus, i, j, score))
    pairs.sort(key=lambda p: (-p.score, p.a, p.b))
    stats = FinderStats(
        documents=n,
        possible_pairs=n * (n - 1) // 2,
        pairs_scored=scored,
        pairs_found=len(pairs),
        blocking_field="none",
        indexed_terms=0,
        terms_above_cap=0,
        df_cap=corpus.df_cap,
    )
    return FinderResult(pairs=tuple(pairs), stats=stats)


@dataclasses.dataclass(frozen=True)
class PairAccuracy:
    """Pairs found against a known truth: precision (found pairs that are true) and recall (true pairs found)."""

    found: int
    truth: int
    true_positives: int

    @property
    def precision(self) -> float:
        return self.true_positives / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.truth if self.truth else 1.0


def measure_pairs(found: Iterable[tuple[str, str]], truth: Iterable[tuple[str, str]]) -> PairAccuracy:
    """Precision and recall of ``found`` pairs against ``truth`` (pairs compared in either order)."""
    found_set = {tuple(sorted(p)) for p in found}
    truth_set = {tuple(sorted(p)) for p in truth}
    return PairAccuracy(len(found_set), len(truth_set), len(found_set & truth_set))


def _check_threshold(threshold: float) -> None:
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")


_Holders = dict[int, dict[str, dict[int, list[int]]]]
"""Field value → group (line or department) → profile → documents."""


class _Block:
    """One blocking pass over a field: candidate value pairs through the index, then document pairs.

    Works on distinct values, not documents: a census repeats names, so a value is indexed once per group
    that holds it. Pairs across groups (lines, or departments when counterparts are compared) come from
    values indexed per group; pairs inside one department from values indexed per department. Counterpart
    pairs (same line, different department) are never generated unless ``all_lines``.

    Each value leaves a prefix of its terms out of the index (see the module docstring), so probing each
    value's indexed terms against the postings finds every pair whose cosine reaches θ; the candidates'
    cosines are then computed (memoised) and only the document pairs of values that reach θ are scored.
    """

    def __init__(self, corpus: Corpus, field: _Field, theta: float, *, all_lines: bool, track: bool) -> None:
        self.corpus = corpus
        self.track = track
        self.field = field
        self.theta = theta
        self.all_lines = all_lines
        self.scored_codes: set[int] = set()
        self.indexed_terms: set[str] = set()
        self.skipped_terms: set[str] = set()
        df, cap = field.df, corpus.df_cap
        budget = theta * (1.0 - _EPSILON)
        max_weight: dict[str, float] = {}
        for vector in field.vectors:
            for t, w in vector.items():
                if w > max_weight.get(t, 0.0):
                    max_weight[t] = w
        self.indexed: list[list[str]] = []
        for vector in field.vectors:
            spent = 0.0
            keep = []
            prefix = True
            for t in sorted(vector, key=lambda t: (-df[t], t)):
                reach = vector[t] * max_weight[t]
                prefix = prefix and df[t] > cap and spent + reach < budget
                if prefix:
                    spent += reach
                    self.skipped_terms.add(t)
                else:
                    keep.append(t)
                    self.indexed_terms.add(t)
            self.indexed.append(keep)

    def run(self, threshold: float, found: dict[int, float], gates: Gates = NO_GATES) -> int:
        """Add the document pairs scoring at least ``threshold`` to ``found``; return how many were scored."""
        corpus, field = self.corpus, self.field
        across_groups = corpus.departments if self.all_lines else corpus.lines
        across: _Holders = {}
        inside: _Holders = {}
        for i, v in enumerate(field.value_of_doc):
            p = corpus.profile_of_doc[i]
            across.setdefault(v, {}).setdefault(across_groups[i], {}).setdefault(p, []).append(i)
            inside.setdefault(v, {}).setdefault(corpus.departments[i], {}).setdefault(p, []).append(i)
        scored = 0
        for holders, other_group in ((across, True), (inside, False)):
            for u, v in self._value_pairs(holders, other_group=other_group):
                scored += self._expand(
                    holders[u],
                    holders[v],
                    same=u == v,
                    other_group=other_group,
                    threshold=threshold,
                    gates=gates,
                    found=found,
                )
        return scored

    def _value_pairs(self, holders: _Holders, *, other_group: bool) -> list[tuple[int, int]]:
        """Value pairs (u ≤ v) held in different groups (or in one department) whose cosine reaches θ."""
        field, theta = self.field, self.theta
        group_ids: dict[str, int] = {}
        postings: dict[str, dict[int, list[int]]] = {}
        for v, by_group in holders.items():
            for t in self.indexed[v]:
                by = postings.setdefault(t, {})
                for g in by_group:
                    by.setdefault(group_ids.setdefault(g, len(group_ids)), []).append(v)
        accepted: set[tuple[int, int]] = set()
        rejected: set[tuple[int, int]] = set()
        for x, by_group in holders.items():
            vector = field.vectors[x]
            if vector and (
                len(by_group) > 1
                if other_group
                else any(sum(map(len, by_profile.values())) > 1 for by_profile in by_group.values())
            ):
                accepted.add((x, x))  # the same value in two groups, or twice in one department
            for g in by_group:
                gid = group_ids.get(g, -1)
                partners: set[int] = set()
                for t in self.indexed[x]:
                    holding = postings.get(t)
                    if holding is None:
                        continue
                    if other_group:
                        for g2, values in holding.items():
                            if g2 != gid:
                                partners.update(values)
                    else:
                        partners.update(holding.get(gid, ()))
                partners.discard(x)
                for y in partners:
                    pair = (x, y) if x < y else (y, x)
                    if pair not in accepted and pair not in rejected:
                        (accepted if field.dot(x, y) >= theta - _EPSILON else rejected).add(pair)
        return sorted(accepted)

    def _expand(
        self,
        held_u: dict[str, dict[int, list[int]]],
        held_v: dict[str, dict[int, list[int]]],
        *,
        same: bool,
        other_group: bool,
        threshold: float,
        gates: Gates,
        found: dict[int, float],
    ) -> int:
        """Score the document pairs of two values (profile pair by profile pair); return how many."""
        corpus = self.corpus
        n = len(corpus)
        scored = 0
        for g, by_profile_u in held_u.items():
            for g2, by_profile_v in held_v.items():
                if (g2 != g) is not other_group or (same and other_group and g2 < g):
                    continue
                for p, docs_u in by_profile_u.items():
                    for q, docs_v in by_profile_v.items():
                        codes = [
                            i * n + j if i < j else j * n + i
                            for i in docs_u
                            for j in docs_v
                            if (i < j if same and not other_group else i != j)
                        ]
                        if not codes:
                            continue
                        scored += len(codes)
                        if self.track:
                            self.scored_codes.update(codes)
                        score = corpus.profile_score(p, q)
                        if score >= threshold and corpus.agrees(p, q, gates):
                            for code in codes:
                                found[code] = score
        return scored


def _pair(corpus: Corpus, i: int, j: int, score: float) -> DuplicatePair:
    if corpus.documents[j].key < corpus.documents[i].key:
        i, j = j, i
    a, b = corpus.documents[i], corpus.documents[j]
    return DuplicatePair(
        a=a.key,
        b=b.key,
        score=round(score, 4),
        within_department=a.department == b.department,
        overlapping_terms=corpus.overlapping_terms(i, j),
    )
