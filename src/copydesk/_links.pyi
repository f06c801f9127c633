import numpy as np

def link_components(
    sims: np.ndarray, level: float, times: np.ndarray | None, window: float, /
) -> list[int]: ...
