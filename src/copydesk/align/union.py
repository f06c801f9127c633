"""Union-find over a story's items that keeps each group to one item per source.

Compiled with mypyc where the build allows (a story of 3,000 sources applies millions of links).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


class SourceGroups:
    """Union-find over items, each from one or more sources; a union that would put two items of one
    source in a group is refused (unless ``shared``: one source repeating itself)."""

    def __init__(self, sources: Sequence[Iterable[str]]) -> None:
        self.parent: list[int] = list(range(len(sources)))
        self.sources: list[set[str]] = [set(s) for s in sources]

    def find(self, i: int) -> int:
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(self, a: int, b: int, shared: bool = False) -> bool:
        ra = self.find(a)
        rb = self.find(b)
        if ra == rb:
            return True
        small, large = self.sources[ra], self.sources[rb]
        if not shared and not small.isdisjoint(large):
            return False
        if len(small) > len(large):  # the smaller set is merged into the larger (roots are free)
            ra, rb = rb, ra
            small, large = large, small
        self.parent[ra] = rb
        large |= small
        self.sources[ra] = set()
        return True

    def union_all(self, first: Sequence[int], second: Sequence[int]) -> None:
        """``union`` of each pair in turn (best first): a large story has millions."""
        for k in range(len(first)):
            self.union(first[k], second[k])

    def clusters(self) -> dict[int, list[int]]:
        """Each group's root and its items in order; groups in the order of their first item."""
        out: dict[int, list[int]] = {}
        for i in range(len(self.parent)):
            out.setdefault(self.find(i), []).append(i)
        return out
