"""Union-find over a story's items that keeps each group to one item per source."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


class SourceGroups:
    """Union-find over items, each from one or more sources; a union that would put two items of one
    source in a group is refused (unless ``shared``: one source repeating itself)."""

    def __init__(self, sources: Sequence[Iterable[str]]) -> None:
        self.parent = list(range(len(sources)))
        self.sources = [set(s) for s in sources]

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int, shared: bool = False) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        if self.sources[ra] & self.sources[rb] and not shared:
            return False
        self.parent[rb] = ra
        self.sources[ra] |= self.sources[rb]
        return True

    def clusters(self) -> dict[int, list[int]]:
        """Each group's root and its items in order; groups in the order of their first item."""
        out: dict[int, list[int]] = {}
        for i in range(len(self.parent)):
            out.setdefault(self.find(i), []).append(i)
        return out
