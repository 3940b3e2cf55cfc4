"""Real datasets in the app: two columns keep the decision map (its title names them); more than
two put the test set's confusion matrix in the map's place, following the training."""

from __future__ import annotations

import re

import numpy as np
import torch
from tui_helpers import eventually, main_screen, open_app, press, settled, wait_until

from playground.widgets.confusion_matrix import render


def shown_counts(app) -> np.ndarray:  # noqa: ANN001
    """The matrix's cells as the widget shows them: each class's row of counts."""
    text = str(main_screen(app).query_one("#confusion").render())
    rows = []
    for line in text.splitlines()[2:]:
        cells = re.match(r"^\d+ \S+\s+((?:\d+\s+)+?)\s*(\d+%|–)", line) or re.match(r"^\d+\s+((?:\d+\s+)+?)\s*(\d+%|–)", line)
        assert cells, line
        rows.append([int(c) for c in cells.group(1).split()])
    return np.array(rows)


async def test_iris_on_two_columns_keeps_the_decision_map_named_by_its_columns() -> None:
    async with open_app("iris") as (app, pilot):
        await settled(pilot)
        screen = main_screen(app)
        assert screen.query_one("#map").display and not screen.query_one("#confusion").display
        assert screen.query_one("#map").border_title == "Iris · x: petal length (cm) · y: petal width (cm)"


async def test_wine_shows_its_test_sets_confusion_matrix_and_it_follows_the_training() -> None:
    async with open_app("wine") as (app, pilot):
        await settled(pilot)
        screen = main_screen(app)
        confusion = screen.query_one("#confusion")
        assert confusion.display and not screen.query_one("#map").display
        assert confusion.border_title.startswith("Wine: 13 columns, no map")
        run = app.session.run
        counts, split = run.confusion()
        assert split == "test" and counts.sum() == len(run.points.test_x) == 44
        np.testing.assert_array_equal(shown_counts(app), counts)
        assert str(confusion.render()) == render(counts, run.points.class_names).plain

        await press(pilot, "s", "s", "s", "s", "s", "s", "s", "s", "s", "s")
        await eventually(pilot, lambda: run.step_count == 10)
        after, _ = run.confusion()
        np.testing.assert_array_equal(shown_counts(app), after)
        right = int(np.trace(after))
        assert f"test set: {right} of 44 right" in confusion.border_subtitle
        # the model's own predictions on the test split, counted here
        with torch.no_grad():
            predicted = run.model(torch.from_numpy(run.points.test_x)).argmax(1).numpy()
        truth = run.points.test_y
        assert right == int((predicted == truth).sum())
        for t in range(3):
            assert after[t].sum() == int((truth == t).sum())


async def test_leaving_a_tabular_set_brings_the_map_back() -> None:
    async with open_app("breast_cancer") as (app, pilot):
        await settled(pilot)
        assert main_screen(app).query_one("#confusion").display
        app.pick("scenario", "moons")
        await wait_until(pilot, lambda: app.session.run is not None and app.session.run.scenario.name == "moons", what="moons")
        await settled(pilot)
        screen = main_screen(app)
        assert screen.query_one("#map").display and not screen.query_one("#confusion").display
        assert screen.query_one("#map").border_title == "Two moons"
