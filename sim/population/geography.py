"""The geography of a population: spatial index, nearest practices, commissioner areas and who
watches whom, worked out once from the starting sites."""
from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.spatial import cKDTree

from sim.population.places import nearest_others
from sim.state import AreaDistances, Geography, PracticeState

NEAREST_PRACTICES = 24  # neighbours searched for a merger partner or to take in patients


def watching(neighbours: np.ndarray) -> sparse.csr_matrix:
    """Which practices each practice watches (its nearest neighbours at the start), as a sparse
    0/1 matrix, so counting members among them is one product."""
    practices, peers = neighbours.shape
    row_starts = np.arange(practices + 1) * peers  # a lone practice watches nobody
    return sparse.csr_matrix((np.ones(practices * peers), neighbours.ravel(), row_starts), shape=(practices, practices))


def geography(practices: PracticeState) -> Geography:
    """The Geography of a population's starting sites, areas and watched neighbours."""
    xy = np.column_stack([practices.x_km, practices.y_km])
    tree = cKDTree(xy)
    n = practices.size
    k = min(NEAREST_PRACTICES, n - 1)
    if k < 1:
        nearest_km, nearest = np.zeros((n, 0)), np.zeros((n, 0), dtype=np.int64)
    else:
        nearest_km, nearest = nearest_others(tree, xy, k)
    order = np.argsort(practices.area, kind="stable")
    areas = int(practices.area.max()) + 1 if n else 0
    bounds = np.searchsorted(practices.area[order], np.arange(areas + 1))
    area_practices = [order[bounds[a]:bounds[a + 1]] for a in range(areas)]
    watched = watching(practices.neighbours)
    return Geography(tree=tree, nearest=nearest, nearest_km=nearest_km, area_practices=area_practices,
                     area_distances=AreaDistances(practices.x_km, practices.y_km, area_practices),
                     watching=watched, watched_by=watched.T.tocsr())
