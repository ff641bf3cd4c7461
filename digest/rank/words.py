"""A topic's words, matched one by one: besides its phrases, what its keywords and its
description say.

Keywords have high precision and low recall: "software testing" misses a paper on fuzzers
that "test" compilers, "signature scheme" one that proposes "signatures". So every topic also
scores its *words*, each matched on its own with a keyword's rules (whole words, inflections,
acronyms in capitals; :mod:`.keywords`):

* the words of its keywords (``test-time compute`` gives ``test-time`` and ``compute``), and
* the words of its description (``description:`` in the config), which the user wrote to say
  what the topic is about,

leaving out function words and the boilerplate of abstracts (:data:`STOPWORDS`), numbers and
one-character words. A hyphenated word stays one word (``X-ray``, ``open-vocabulary``).
:mod:`.score` weighs each by how rare it is that day and adds them to the keyword score.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..model import is_regex_keyword
from .keywords import is_acronym

# Words that carry no topic: English function words and the boilerplate of abstracts.
STOPWORDS = frozenset(
    """a about above after again against all also although am among an and any are as at be
    because been before being below between both but by can could did do does doing down
    during each either et etc few for from further had has have having he her here hers him
    his how however i if in into is it its itself just may me might more most much must my no
    nor not now of off on once only or other our ours out over own per same she should so some
    such than that the their theirs them then there these they this those through thus to too
    under until up upon us very via was we were what when where whether which while who whom
    why will with within without would yet you your also al eg ie vs paper papers propose
    proposes proposed present presents show shows shown demonstrate demonstrates result
    results approach approaches method methods novel new using use used uses based existing
    furthermore moreover therefore work works study studies introduce introduces achieve
    achieves achieved significantly respectively well often many several various first second
    one two three different""".split()  # noqa: SIM905
)

_TERM = re.compile(r"\w+(?:[-\u2010\u2011]\w+)*")
_LETTER = re.compile(r"[^\W\d_]")


def content_words(texts: Iterable[str]) -> list[str]:
    """The words of ``texts`` that may tell a topic, each once, in lower case unless written
    in capitals (an acronym, matched only so); regular expressions (``/.../``) have none."""
    out: dict[str, None] = {}
    for text in texts:
        text = text.strip()
        if is_regex_keyword(text):
            continue
        for word in _TERM.findall(text):
            word = word.strip("_")
            if len(word) > 1 and word.lower() not in STOPWORDS and _LETTER.search(word):
                out.setdefault(word if is_acronym(word) else word.lower(), None)
    return list(out)
