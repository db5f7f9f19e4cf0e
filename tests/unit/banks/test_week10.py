"""Week 10 bank (graph neural networks): recompute the keys by routes other than the bank's solution and check."""
from __future__ import annotations

import math

import numpy as np
import pytest

from ._util import SEEDS, complex_step_gradient, draw_variant, load_week, question, solve_with

BANK_FILE = "week10-gnn.yaml"
# the order of the six edge indicators in `edges`, as node indices 0..3
EDGE_PAIRS = ((0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3))


@pytest.fixture(scope="module")
def bank():
    return load_week(BANK_FILE)[0]


def test_bank_loads_without_any_problem():
    bank, problems = load_week(BANK_FILE)
    assert [str(p) for p in problems] == []
    assert (bank.week, bank.title) == (10, "Graph neural networks")
    assert [q.id for q in bank.questions] == [
        "gnn-degree", "gnn-normalized-adjacency", "gcn-layer", "gnn-mean-aggregation", "gnn-laplacian-energy",
        "gnn-laplacian-zero-eigenvalues", "gcn-parameter-count", "gcn-regression-gradient",
        "gnn-aggregation-concepts",
    ]




def neighbour_sets(edges) -> list[set[int]]:
    neighbours: list[set[int]] = [set() for _ in range(4)]
    for (i, j), present in zip(EDGE_PAIRS, edges, strict=True):
        if present:
            neighbours[i].add(j)
            neighbours[j].add(i)
    return neighbours


def normalized_weight(neighbours: list[set[int]], i: int, j: int) -> float:
    """Entry (i, j) of D~^-1/2 (A + I) D~^-1/2, read off the neighbour lists."""
    if i != j and j not in neighbours[i]:
        return 0.0
    return 1 / math.sqrt((len(neighbours[i]) + 1) * (len(neighbours[j]) + 1))


def degrees_by_edge_list(p):
    return np.array([len(n) for n in neighbour_sets(p["edges"])])


def normalized_row_by_neighbours(p):
    neighbours = neighbour_sets(p["edges"])
    i = int(p["node"]) - 1
    return np.array([normalized_weight(neighbours, i, j) for j in range(4)])


def gcn_layer_node_by_node(p):
    neighbours = neighbour_sets(p["edges"])
    rows = []
    for i in range(4):
        message = sum(normalized_weight(neighbours, i, j) * (p["X"][j] @ p["W"]) for j in neighbours[i] | {i})
        rows.append(np.maximum(message, 0))
    return np.array(rows)


def mean_of_neighbour_rows(p):
    return np.array([np.mean([p["X"][j] for j in sorted(n)], axis=0) for n in neighbour_sets(p["edges"])])


def laplacian_energy_by_incidence(p):
    # L = B B^T for the oriented incidence matrix B, so x^T L x = |B^T x|^2
    present = [pair for pair, e in zip(EDGE_PAIRS, p["edges"], strict=True) if e]
    incidence = np.zeros((4, len(present)))
    for column, (i, j) in enumerate(present):
        incidence[i, column], incidence[j, column] = 1, -1
    return float(np.sum((incidence.T @ p["x"]) ** 2))


def components_by_search(p):
    neighbours = neighbour_sets(p["edges"])
    unseen, count = set(range(4)), 0
    while unseen:
        count += 1
        frontier = [unseen.pop()]
        while frontier:
            for j in neighbours[frontier.pop()] & unseen:
                unseen.discard(j)
                frontier.append(j)
    return count


def gcn_parameters_by_shapes(p):
    f, h, c = int(p["f"]), int(p["h"]), int(p["c"])
    return sum(int(np.prod(shape)) for shape in [(f, h), (h,), (h, c), (c,)])


def gcn_gradient_by_complex_step(p):
    neighbours = neighbour_sets(p["edges"])
    a_hat = np.array([[normalized_weight(neighbours, i, j) for j in range(4)] for i in range(4)])
    return complex_step_gradient(lambda w: 0.5 * np.sum((a_hat @ p["X"] @ w - p["y"]) ** 2), p["w"])


THIRD_ROUTES = [
    ("gnn-degree", degrees_by_edge_list),
    ("gnn-normalized-adjacency", normalized_row_by_neighbours),
    ("gcn-layer", gcn_layer_node_by_node),
    ("gnn-mean-aggregation", mean_of_neighbour_rows),
    ("gnn-laplacian-energy", laplacian_energy_by_incidence),
    ("gnn-laplacian-zero-eigenvalues", components_by_search),
    ("gcn-parameter-count", gcn_parameters_by_shapes),
    ("gcn-regression-gradient", gcn_gradient_by_complex_step),
]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("question_id", "route"), THIRD_ROUTES, ids=[row[0] for row in THIRD_ROUTES])
def test_key_matches_an_independent_route(bank, question_id, route, seed):
    params, key = draw_variant(question(bank, question_id), seed)
    np.testing.assert_allclose(key, route(params), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(
    ("question_id", "params", "expected"),
    [
        # path 1-2-3-4: degrees with self-loops (2, 3, 3, 2), row of node 2
        (
            "gnn-normalized-adjacency",
            {"edges": [1, 0, 0, 1, 0, 1], "node": 2},
            [1 / math.sqrt(6), 1 / 3, 1 / 3, 0],
        ),
        (
            "gcn-layer",
            {"edges": [1, 1, 1, 1, 0, 1], "X": [[-1, 0], [-1, -1], [2, -2], [-2, -2]], "W": [[2, 1], [2, -1]]},
            [[0, 0.75], [0, math.sqrt(3) / 2], [0, 0.75], [0, math.sqrt(3) / 2]],
        ),
        (
            "gnn-mean-aggregation",
            {"edges": [0, 1, 1, 1, 1, 1], "X": [[2, 2], [2, 1], [0, 3], [0, -1]]},
            [[0, 1], [0, 1], [4 / 3, 2 / 3], [4 / 3, 2]],
        ),
        # complete graph: (2+1)^2 + (2+2)^2 + (2+1)^2 + 1 + 0 + 1
        ("gnn-laplacian-energy", {"edges": [1, 1, 1, 1, 1, 1], "x": [2, -1, -2, -1]}, 36),
        # two separate edges 1-2 and 3-4
        ("gnn-laplacian-zero-eigenvalues", {"edges": [1, 0, 0, 0, 0, 1]}, 2),
        # one edge: three components
        ("gnn-laplacian-zero-eigenvalues", {"edges": [0, 0, 0, 0, 1, 0]}, 3),
        # Cora-sized: 1433*16 + 16 + 16*7 + 7
        ("gcn-parameter-count", {"n_nodes": 2708, "f": 1433, "h": 16, "c": 7}, 23063),
    ],
    ids=["adjacency-row-path", "layer-hand", "mean-hand", "energy-complete", "two-components",
         "three-components", "params-cora"],
)
def test_hand_worked_case(bank, question_id, params, expected):
    np.testing.assert_allclose(solve_with(question(bank, question_id), params), expected, rtol=1e-9, atol=1e-12)
