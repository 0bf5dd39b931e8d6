"""Sampling designs (sim/scenarios/designs.py): grid, lhs, sobol and morris tables of the documented shapes,
repeatable for a seed."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.scenarios import designs
from sim.scenarios.designs import Axis


def test_designs_have_the_documented_shapes_and_repeat_for_a_seed() -> None:
    axes = [Axis("a", low=0.0, high=1.0), Axis("b", low=-2.0, high=2.0), Axis("months", low=1, high=24, integer=True)]
    shapes = {
        ("lhs", 10, ()): 10,
        ("sobol", 8, ()): 8 * (3 + 2),
        ("sobol", 8, (("second_order", True),)): 8 * (2 * 3 + 2),
        ("morris", 4, ()): 4 * (3 + 1),
    }
    for (name, samples, options), rows in shapes.items():
        table = designs.points(name, axes, samples, 5, dict(options))
        assert table.shape == (rows, 3) == (designs.DESIGNS[name].size(axes, samples, dict(options)), 3)
        for axis in axes:
            assert table[axis.name].between(axis.low, axis.high).all()
        assert table["months"].dtype == "int64"
        pd.testing.assert_frame_equal(table, designs.points(name, axes, samples, 5, dict(options)))
        assert not table.equals(designs.points(name, axes, samples, 6, dict(options)))
    lhs = designs.points("lhs", axes[:1], 10, 5, {})
    assert sorted(np.floor(lhs["a"] * 10).astype(int)) == list(range(10))  # one point in each tenth
    grid = designs.points("grid", [Axis("x", levels=(1, 2, 3)), Axis("rule", levels=("u", "q"))], None, 0, {})
    assert grid.values.tolist() == [[1, "u"], [1, "q"], [2, "u"], [2, "q"], [3, "u"], [3, "q"]]
