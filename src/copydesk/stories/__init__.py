"""Stories: event clustering, topic links, copy families and provenance.

``features`` turns an article into event and kind vectors; ``cluster`` (with ``grouping``) places
articles in stories and stories under topics, incrementally; ``families`` calls copy relations inside
a story; ``provenance`` counts sources and builds the export rows; ``stage`` is the corpus stage that
``copydesk run`` applies; ``edit`` holds editorial corrections (splits); ``synthetic`` generates
labelled news for tests and benchmarks.
"""
