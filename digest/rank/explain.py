"""Why a paper counts for a topic on its date, or why not (``digest explain``).

The date is scored as :func:`.score.rank_day` scores it, keeping the parts of every score
(:class:`.score._Scores`' trace); one paper's parts are then read out beside the bars they
had to reach, so that what ``explain`` says is what ranking did, never a second estimate.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence

from .. import collector
from ..model import Paper, PaperWhy, TopicWhy
from .profile import RELATED, SHARED
from .score import WORDS_ALONE, Ranker, _found, _read, _Scores, _topic_words


def explain(
    papers: Sequence[Paper],
    ranker: Ranker,
    paper_id: str,
    topics: Collection[str] | None = None,
) -> PaperWhy:
    """Why the paper ``paper_id``, one of ``papers`` (its date's), counts or not for each
    topic of ``ranker`` (those named in ``topics``, when given)."""
    with collector.paused():
        read = _read(papers, ranker)
        trace: dict[str, object] = {}
        scores = _Scores(read, ranker, trace)
    i = read.ids.index(paper_id)
    fields = scores.fields[i]
    per_topic, matched, related = (fields[2], fields[3], fields[4]) if fields else ({}, {}, {})
    found = _found(read, i)
    count = len(ranker.topics)
    texts = ranker.matcher.texts
    rarity = trace["rarity"]
    by_words, whole, once = trace["by_words"], trace["whole"], trace["once"]
    community = trace["community"]
    settings = ranker.settings
    words_alone = bool(ranker.words) and ranker.settings.words_alone
    profiles = ranker.profiles
    out = []
    for t, topic in enumerate(ranker.topics):
        if topics is not None and topic.name not in topics:
            continue
        cell = i * count + t
        name = topic.name
        if name in matched:
            how, reason = "keywords", ", ".join(matched[name])
        elif name in related:
            how = "words" if by_words[cell] else "profile"  # type: ignore[index]
            reason = related[name]
        else:
            how, reason = "", ""
        vetoes = [texts[k] for k in found if t in ranker.vetoes.get(k, ())]
        vetoed = (
            f"the exclusion {vetoes[0]!r} matched"
            if vetoes
            else "a paper to avoid"
            if t in ranker.avoided.get(paper_id, ())
            else ""
        )
        held = [x for k in found if t in ranker.uses.get(k, ()) for x in ranker.spelled[t][k]]
        order = {k: n for n, k in enumerate(topic.keywords)}
        spelled = ranker.word_spelled[t] if ranker.word_spelled else {}
        words = sorted(
            ((spelled.get(k) or texts[k], value * weight) for value, weight, k in
             _topic_words(found, t, ranker, rarity)),  # type: ignore[arg-type]
            key=lambda wp: (-wp[1], wp[0]),
        )  # fmt: skip
        why = TopicWhy(
            name,
            per_topic.get(name, 0.0),
            how,
            reason,
            vetoed,
            tuple(sorted(held, key=order.__getitem__)),
            tuple((w, round(float(part), 3)) for w, part in words),
            round(float(once[cell]), 3) if once is not None else 0.0,  # type: ignore[index]
            WORDS_ALONE if words_alone else None,
            whole.get(cell, ""),  # type: ignore[attr-defined]
            weight=topic.weight,
            community=round(community[i], 3) if community else 1.0,  # type: ignore[index]
            parts=_parts(trace, cell, settings.words, settings.description, settings.profile),
        )
        if profiles is not None and profiles.profiles[t] is not None:
            d = profiles.detail(read.similar, i, t)  # type: ignore[arg-type]
            why = dataclasses.replace(
                why,
                similarity=round(d.similarity, 3),
                profile_alone=round(d.profile, 3),
                shared=d.shared,
                similarity_needed=RELATED,
                shared_needed=SHARED,
                closest=ranker.topics[d.closest].name if d.closest != t else "",
                most_like=d.most_like,
                likeness=round(d.likeness, 3),
                lift=round(d.lift, 3) if d.lift is not None and d.lift != float("inf") else None,
            )
        out.append(why)
    return PaperWhy(papers[i], len(papers), tuple(out))


def _parts(
    trace: dict[str, object], cell: int, words: float, description: float, profile: float
) -> tuple[tuple[str, float], ...]:
    """What a counted cell's score adds up from (see :class:`.score._Scores`): the keywords'
    sum where they count it, the words' share of the day's best where it holds some, the
    description's where it counts, the profile's similarity; each times its setting."""
    if not trace["counts"][cell]:  # type: ignore[index]
        return ()
    out = []
    if trace["counting"][cell]:  # type: ignore[index]
        out.append(("keywords", float(trace["keyword"][cell])))  # type: ignore[index]
    if trace["share"] is not None and trace["words_held"][cell]:  # type: ignore[index]
        out.append(("words", words * float(trace["share"][cell])))  # type: ignore[index]
    if trace["described"] is not None and trace["described"][cell]:  # type: ignore[index]
        out.append(("description", description * float(trace["described_share"][cell])))  # type: ignore[index]
    if trace["sims"] is not None:
        out.append(("profile", profile * float(trace["sims"][cell])))  # type: ignore[index]
    return tuple((name, round(x, 3)) for name, x in out if x > 0)
