"""Page furniture in article bodies, and a trailing segment that tells another story.

An extraction that takes too much of a web page leaves the page's furniture in the
body: a donation box with its price buttons, the comment section's notice, a newsletter
or social-media prompt, "you might also like" teasers with a teaser text of another
story, the site's footer. The patterns are data (``rules/furniture.yaml``, validated by
``auditor/schemas/furniture.schema.json``); the check matches them line by line (and
sentence by sentence inside paragraphs), groups neighbouring furniture lines into one
span per problem, and checks the body's topical coherence: a trailing run of paragraphs
(or, in a body without line breaks, sentences) that shares (almost) no names or topic
words with the text before it is another story glued to the article.

Pure pandas, ``re`` and pyarrow (whose RE2 rules out bodies without furniture first): no
GX, so the same function can run on Spark partitions. Where each part lives:

- :mod:`.patterns`: reading and checking the patterns file; :mod:`.spec`: the compiled
  patterns and how a text is classified; :mod:`.pattern_shape`: what a parsed pattern
  says about its matches.
- :mod:`.prefilter` and :mod:`.beginnings`: the column search that rules bodies out.
- :mod:`.units` and :mod:`.blocks`: a body as classified lines and sentences, grouped.
- :mod:`.coherence`: the other-story check.
- :mod:`.layout`: a whole web page pasted as the body -- the article and the page around it.
- :mod:`.repeats`: lines repeated across the batch (a batch step: hashes per row, counts
  per batch, a verdict per row).
- :mod:`.report`: messages, snippets and spans; :mod:`.detect`: the check per body and column;
  :mod:`.settings`: its parameters.
"""

from auditor.text.furniture.coherence import MAX_SHARED, MAX_SHARED_CUED, MIN_STORY_WORDS
from auditor.text.furniture.detect import analyse_body, batch_inputs, find_furniture
from auditor.text.furniture.patterns import DEFAULT_PATTERNS, load_furniture
from auditor.text.furniture.prefilter import furniture_possible
from auditor.text.furniture.settings import FurnitureSettings
from auditor.text.furniture.spec import FurnitureSpec, Kind

__all__ = [
    "DEFAULT_PATTERNS",
    "MAX_SHARED",
    "MAX_SHARED_CUED",
    "MIN_STORY_WORDS",
    "FurnitureSettings",
    "FurnitureSpec",
    "Kind",
    "analyse_body",
    "batch_inputs",
    "find_furniture",
    "furniture_possible",
    "load_furniture",
]
