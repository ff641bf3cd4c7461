"""Rank: each date's papers scored against the topics, the highlights picked, a TL;DR each.

Pure functions over model objects (no store, no sources, no disk), so dates can be ranked on
other processes: :mod:`.keywords` (what a keyword matches), :mod:`.score` (scores and
highlights), :mod:`.tldr` (the sentence that states a paper's contribution) and :mod:`.cache`
(which dates a build must rank again, and what it keeps of the others).
"""

from .score import Detail, Ranker, rank_day, rank_days, rank_days_lines

__all__ = ["Detail", "Ranker", "rank_day", "rank_days", "rank_days_lines"]
