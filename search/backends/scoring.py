"""How much each indexed field counts, shared by every backend so they rank alike.

A unit has three token fields (``IndexDoc.title_tokens``, ``body_tokens``, ``phrasing_tokens``).
They are scored as ONE field in which a title word counts twice and a phrasing (how citizens ask,
interpretations only) three times -- the way SQLite FTS5's ``bm25()`` applies column weights to
term frequencies over the whole row. Scoring the fields separately and adding the scores
(Elasticsearch ``most_fields``) lets every article of a law whose title shares a word with the
question score high; one weighted field measured +0.086 recall@10 / +0.055 MRR@10 on the general
development set with Elasticsearch (bench/README.md).
"""

from __future__ import annotations

from search.types import IndexDoc

# Weights of (title_tokens, body_tokens, phrasing_tokens): whole numbers, because Elasticsearch
# gets them by repeating a field's tokens (see weighted_tokens).
FIELD_WEIGHTS = (2, 1, 3)
# Synonym expansions and parts of compound words count this much of the citizen's own words.
EXPANSION_WEIGHT = 0.4


def weighted_tokens(doc: IndexDoc) -> str:
    """The unit's tokens as one whitespace-separated field, each field repeated by its weight."""
    fields = (doc.title_tokens, doc.body_tokens, doc.phrasing_tokens)
    return " ".join(tokens for tokens, weight in zip(fields, FIELD_WEIGHTS, strict=True) if tokens for _ in range(weight))
