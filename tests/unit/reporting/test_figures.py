"""Figures as a reader sees them: what is drawn can be read (labels apart, points inside, shared frames)."""

from __future__ import annotations

import itertools
import re

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


@pytest.mark.parametrize("seed", range(4))
def test_labels_of_a_crowded_cloud_of_points_stay_apart_inside_the_frame(seed):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.text import Text

    from sim.inputs.states import load_states
    from sim.reporting.style import place_labels

    # 36 states' codes on a cloud as dense as the positions figure's densest, at random.
    rng = np.random.default_rng(seed)
    codes = [str(code) for code in load_states().iso3[:36]]
    xs, ys = rng.normal(0.45, 0.08, len(codes)), rng.normal(0.6, 0.064, len(codes))
    figure = Figure(figsize=(6.5, 5), dpi=110)
    ax = figure.add_axes((0.1, 0.1, 0.85, 0.85), xlim=(0, 1), ylim=(0, 1))
    ax.scatter(xs, ys, s=40)
    place_labels(ax, xs, ys, codes, ["#2471a3"] * len(codes), 8.5)
    renderer = FigureCanvasAgg(figure).get_renderer()
    for text in ax.texts:
        text.update_positions(renderer)
    assert sorted(text.get_text() for text in ax.texts) == sorted(codes)
    boxes = [Text.get_window_extent(text, renderer) for text in ax.texts]
    frame = ax.get_window_extent(renderer)
    assert all(
        frame.x0 - 1 <= b.x0 and b.x1 <= frame.x1 + 1 and frame.y0 - 1 <= b.y0 <= b.y1 <= frame.y1 + 1 for b in boxes
    )
    touching = [(a, b) for a, b in itertools.combinations(range(len(boxes)), 2) if boxes[a].overlaps(boxes[b])]
    assert not touching, [(ax.texts[a].get_text(), ax.texts[b].get_text()) for a, b in touching]


def test_analyze_figures_name_factors_with_units_and_outcomes_briefly():
    from sim.inputs.parameters import PARAMETERS
    from sim.reporting.text import factor_label, short_label

    assert factor_label("confidence_bound") == f"confidence_bound ({PARAMETERS['confidence_bound'].unit})"
    assert factor_label("events.us_troops[-1].change") == "events.us_troops[-1].change"
    assert short_label("cohesion") == "Cohesion (0-1)"
    assert short_label("spending_pct_gdp") == "Defence spending, % of GDP"
    assert short_label("blocs") == "Blocs"


def test_the_discovery_caption_names_the_axes_drawn():
    from types import SimpleNamespace

    from sim.reporting.figures.sweep import _scatter_axes
    from sim.reporting.reports.sweep import _sweep_captions

    factors = ["events.us_troops[-1].change", "events.article5_doubt.size"]
    one_box = SimpleNamespace(boxes=(SimpleNamespace(limits={"events.article5_doubt.size": (0.3, None)}),))
    # The scatter puts the restricted factor across; the caption says so, and that the other is unrestricted.
    assert _scatter_axes(one_box, factors) == factors[::-1]
    caption = _sweep_captions(one_box, factors)["discovery"]
    assert (
        "`events.article5_doubt.size` (across, restricted by a box) against "
        "`events.us_troops[-1].change` (up, not restricted by any box)" in caption
    )
    assert "Right: each box's limits" in caption and "PRIM" not in caption
    only = _sweep_captions(one_box, ["events.article5_doubt.size"])["discovery"]
    assert "the outcome (up; the dashed line is the threshold)" in only
    none = _sweep_captions(SimpleNamespace(boxes=()), factors)["discovery"]
    assert "Right: why no box was found." in none and "not restricted by any box" in none


def test_events_are_named_in_words_not_by_parameter_names():
    from sim.reporting.figures.run import readable_event

    assert readable_event("pledge_core_pct = 3.5") == "NATO core spending pledge set to 3.5 % of GDP"
    assert readable_event("eu_cfsp_rule = qmv") == "EU foreign-policy voting rule set to qmv"
    assert readable_event("trust_rate = 0.1").startswith("trust rate set to 0.1")
    assert readable_event("US troops -0.8k (ROU) over 1 month") == "US troops -0.8k (ROU) over 1 month"


def test_event_numbers_of_one_month_share_a_label_and_close_labels_do_not_overlap():
    from sim.reporting.figures.run import _event_labels

    # perfect_storm: five events within five months of 2026, three of them in January
    years = [2025.42, 2025.75, 2026.0, 2026.0, 2026.08, 2026.17, 2026.5, 2028.17]
    labels = _event_labels(years, span=11.0)
    assert [text for _, text, _ in labels] == ["1", "2", "3,4", "5", "6", "7", "8"]
    by_row: dict[int, list[tuple[float, str]]] = {}
    for year, text, row in labels:
        by_row.setdefault(row, []).append((year, text))
    for placed in by_row.values():
        for (x0, t0), (x1, _) in zip(placed, placed[1:], strict=False):
            assert x1 - x0 >= (0.016 * len(t0) + 0.012) * 11.0  # the next label starts after this one ends
    assert len(by_row) > 1 and labels[-1][2] == 0  # crowded labels step down; a lone one stays at the top
    assert _event_labels([2026.0] * 4, span=11.0) == [(2026.0, "1-4", 0)]


def test_note_letters_go_on_past_z_and_stay_unique():
    from sim.reporting.figures.run import note_letter

    letters = [note_letter(k) for k in range(800)]
    assert letters[:3] == ["a", "b", "c"] and letters[25:29] == ["z", "aa", "ab", "ac"]
    assert len(set(letters)) == len(letters)
    assert all(letter.isalpha() and letter.islower() and letter.isascii() for letter in letters)


def test_a_note_under_the_decisions_panel_keeps_its_letter_with_its_states():
    from sim.reporting.figures.run import _wrapped_notes, note_letter

    codes = ["AUT", "BEL", "BGR", "HRV", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC", "HUN"]
    # Lists of 1 to 12 states in a scrambled order of length, so that line ends fall at every place in a note.
    notes = [" ".join(codes[: 1 + (7 * k) % 12]) for k in range(60)]
    lines = _wrapped_notes(notes)
    assert all(len(line) <= 150 for line in lines)
    text = "\n".join(lines)
    # Every letter stands on the line of its first state (a letter at a line's end names nothing) ...
    assert re.findall(r"\((\S+)\) [A-Z]{3}", text) == [note_letter(k) for k in range(len(notes))]
    # ... and a note short enough for one line is not split across two.
    for k, note in enumerate(notes):
        assert any(f"({note_letter(k)}) {note}" in line for line in lines), note_letter(k)
    # A note longer than a line breaks inside its list of states, and only there.
    long = _wrapped_notes(["AUT BEL", " ".join(codes * 4)])
    assert len(long) == 2 and long[0].startswith("(a) AUT BEL   (b) AUT BEL") and long[1][:3] in codes
    assert " ".join(long) == f"(a) AUT BEL   (b) {' '.join(codes * 4)}"


@pytest.fixture(scope="module")
def crowded(tmp_path_factory):
    """A scenario with as many events as a scenario may have, its parents' included."""
    import yaml

    from sim.scenarios.scenario import MAX_EVENTS, load

    inherited = len(load("baseline").events)
    kinds = [
        "{type: us_troops, change: -0.01}",
        "{type: article5_doubt, size: 0.01}",
        "{type: coercion, target: DEU, size: 0.01}",
        "{type: election, state: HUN, government: accommodationist}",
        "{type: hybrid_campaign, multiplier: 2}",
        "{type: ceasefire_pressure, level: 0.2}",
    ]
    events = [
        {**yaml.safe_load(kinds[k % len(kinds)]), "date": f"{2026 + k % 10}-{1 + k % 12:02d}"}
        for k in range(MAX_EVENTS - inherited)
    ]
    path = tmp_path_factory.mktemp("crowded") / "crowded.yaml"
    path.write_text(yaml.safe_dump({"name": "crowded", "extends": "baseline", "events": events}))
    return sim.run(path, replications=1, seed=1)


@pytest.mark.parametrize("name", ["headline", "decisions"])
def test_figures_of_a_scenario_with_the_most_events_draw_without_glyph_or_layout_warnings(crowded, name):
    import warnings

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from sim.scenarios.scenario import MAX_EVENTS

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figure = crowded.plot(name)
        FigureCanvasAgg(figure).draw()
    messages = [str(w.message) for w in caught]
    assert not [m for m in messages if "Glyph" in m or "layout" in m], messages
    texts = [t.get_text() for t in figure.findobj(lambda a: hasattr(a, "get_text"))]
    assert all(ord(c) < 127 or c in "—·–%" for text in texts for c in text), "only printable glyphs"
    listed = [text for text in texts if "more: see report.md" in text]
    assert listed, "events beyond those listed are counted, with a pointer to the report"
    # The figure stays a readable size: the events do not stretch it.
    assert figure.get_size_inches()[1] < 20
    if name == "decisions":
        labels = re.findall(r"\((\S+)\) \d+ states", "\n".join(texts))
        notes = re.findall(r"\((\S+)\) [A-Z]{3}", "\n".join(texts))
        assert len(notes) > 26, "enough notes to run past z"
        assert all(re.fullmatch("[a-z]+", note) for note in notes), notes
        assert set(labels) == set(notes) and len(notes) == len(set(notes))
    shown = len(crowded.events[(crowded.events["body"] == "scenario") & (crowded.events["run"] == 0)])
    assert shown == MAX_EVENTS


def test_figures_take_labels_and_axes_from_the_outcome_registry(monkeypatch):
    import dataclasses

    from sim.rules.outcomes import HEADLINE_OUTCOMES, OUTCOMES, STATE_OUTCOMES

    short = sim.run(sim.Scenario.load("baseline").with_overrides(end="2026-03"), replications=2, seed=1)
    monkeypatch.setitem(OUTCOMES, "blocs", dataclasses.replace(OUTCOMES["blocs"], label="Camps", scale="0-1"))
    monkeypatch.setitem(STATE_OUTCOMES, "threat", dataclasses.replace(STATE_OUTCOMES["threat"], label="Fear (0-1)"))
    panels = [ax for ax in short.plot("headline").axes if ax.get_title()]
    titles = [ax.get_title() for ax in panels]
    assert titles == [OUTCOMES[name].label for name in HEADLINE_OUTCOMES] and "Camps" in titles
    assert panels[titles.index("Camps")].get_ylim() == (0.0, 1.0)
    assert short.plot("states", "threat").get_suptitle().startswith("Fear (0-1) by state")
