import numpy as np

def link_components(
    sims: np.ndarray, level: float, times: np.ndarray | None, window: float, /
) -> list[int]: ...
def pair_components(n: int, a: np.ndarray, b: np.ndarray, /) -> list[int]: ...
def average_tree(condensed: np.ndarray, n: int, out: np.ndarray, overwrite: bool = False, /) -> None: ...
def condensed_distances(sims: np.ndarray, out: np.ndarray, /) -> None: ...
def centred_distances(
    floor_sims: np.ndarray,
    projections: np.ndarray,
    norms: np.ndarray,
    strength: float,
    mean_square: float,
    offset: float,
    out: np.ndarray,
    /,
) -> float: ...
