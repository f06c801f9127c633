"""The optional compiled kernels (copydesk._textscan, _tokenmemo, _overlap, _weigh,
_sentkeys, _links, _wordtable); the rest is in pyproject.toml.

Where no C compiler is at hand the install still succeeds and the cleaning stages use their pure-Python
path (and the stories stage its numpy and difflib one), which gives the same results, more slowly. ``REQUIRE_COPYDESK_KERNELS=1`` (set by the Makefile
where a compiler is found) makes a failed build fail the install instead of passing unnoticed.
"""

import os

from setuptools import Extension, setup

optional = os.environ.get("REQUIRE_COPYDESK_KERNELS") != "1"

setup(
    ext_modules=[
        Extension("copydesk._textscan", ["src/copydesk/_textscan.c"], optional=optional),
        Extension("copydesk._tokenmemo", ["src/copydesk/_tokenmemo.c"], optional=optional),
        Extension("copydesk._overlap", ["src/copydesk/_overlap.c"], optional=optional),
        Extension("copydesk._weigh", ["src/copydesk/_weigh.c"], optional=optional),
        Extension("copydesk._sentkeys", ["src/copydesk/_sentkeys.c"], optional=optional),
        Extension("copydesk._links", ["src/copydesk/_links.c"], optional=optional),
        Extension("copydesk._wordtable", ["src/copydesk/_wordtable.c"], optional=optional),
    ]
)
