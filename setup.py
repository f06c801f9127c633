"""The optional compiled kernels (copydesk._textscan, copydesk._tokenmemo); the rest is in pyproject.toml.

``optional=True``: where no C compiler is at hand the install still succeeds and the cleaning stages
use their pure-Python path, which gives the same results, more slowly.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("copydesk._textscan", ["src/copydesk/_textscan.c"], optional=True),
        Extension("copydesk._tokenmemo", ["src/copydesk/_tokenmemo.c"], optional=True),
    ]
)
