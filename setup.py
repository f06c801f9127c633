"""The optional compiled word scan (copydesk._textscan); everything else is in pyproject.toml.

``optional=True``: where no C compiler is at hand the install still succeeds and the cleaning stages
use their pure-Python path, which gives the same results, more slowly.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("copydesk._textscan", ["src/copydesk/_textscan.c"], optional=True),
    ]
)
