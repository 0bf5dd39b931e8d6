"""Figures as a reader sees them: what is drawn can be read (labels apart, points inside, shared frames)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import sim


@pytest.fixture(scope="module")
def storm():
    return sim.run("perfect_storm", replications=4, seed=3)


def test_positions_share_one_frame_show_every_state_and_keep_labels_apart(storm):
    figure = storm.plot("positions")
    panels = [ax for ax in figure.axes if ax.get_visible()]
    assert len(panels) == 4
    limits = {(ax.get_xlim(), ax.get_ylim()) for ax in panels}
    assert len(limits) == 1, "the four dates must share one frame"
    (x0, x1), (y0, y1) = limits.pop()
    assert -0.02 <= x0 < x1 <= 1.02 and -0.02 <= y0 < y1 <= 1.02
    states = set(storm.agents["iso3"].astype(str)) - {"USA"}
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    renderer = FigureCanvasAgg(figure).get_renderer()
    for ax in panels:
        points = np.concatenate([c.get_offsets() for c in ax.collections])
        assert ((points[:, 0] > x0) & (points[:, 0] < x1) & (points[:, 1] > y0) & (points[:, 1] < y1)).all()
        labels = [t for t in ax.texts if t.get_text() in states]
        assert sorted(t.get_text() for t in labels) == sorted(states)
        # The text alone (an annotation's own extent includes its leader line).
        for t in labels:
            t.update_positions(renderer)
        boxes = [Text.get_window_extent(t, renderer) for t in labels]
        frame = ax.get_window_extent(renderer)
        assert all(frame.x0 - 1 <= b.x0 and b.x1 <= frame.x1 + 1 and frame.y0 - 1 <= b.y0 for b in boxes)
        overlapping = [
            (a, b)
            for (a, box_a), (b, box_b) in itertools.combinations(zip(labels, boxes, strict=True), 2)
            if box_a.overlaps(box_b)
        ]
        # 36 labels in a crowded cloud: at most two pairs may touch.
        assert len(overlapping) <= 2, [(a.get_text(), b.get_text()) for a, b in overlapping]
