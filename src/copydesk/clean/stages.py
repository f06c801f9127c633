"""The text-cleaning stages in the order they run after extraction.

Metadata first (it needs the head and tail of the text as written), then spam (a run injected into
a sentence must not make the sentence look like furniture), then site chrome (judged on lines as
they read once metadata and spam are out).
"""

from __future__ import annotations

from copydesk.clean.chrome import ChromeLineStage
from copydesk.clean.spam import SpamRepairStage
from copydesk.clean.textmeta import TextMetadataStage
from copydesk.pipeline import ArticleStage


def text_cleaning_stages() -> list[ArticleStage]:
    return [TextMetadataStage(), SpamRepairStage(), ChromeLineStage()]
