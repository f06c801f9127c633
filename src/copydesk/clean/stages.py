"""The text-cleaning stages in the order they run after extraction.

Metadata first (it needs the head and tail of the text as written), then site chrome (the zones
it judges by no longer hold metadata lines), then spam (it works inside the body lines that remain).
"""

from __future__ import annotations

from copydesk.clean.chrome import ChromeLineStage
from copydesk.clean.spam import SpamRepairStage
from copydesk.clean.textmeta import TextMetadataStage
from copydesk.pipeline import ArticleStage


def text_cleaning_stages() -> list[ArticleStage]:
    return [TextMetadataStage(), ChromeLineStage(), SpamRepairStage()]
