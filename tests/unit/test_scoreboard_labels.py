"""A lane's settings cut to the scoreboard's width still tell the lanes apart (issue 19, item 8)."""

from __future__ import annotations

import pytest

from playground.widgets.scoreboard import fit_label

LANES = ["sgd lr=0.001", "sgd lr=0.001 momentum=0.9", "sgd lr=0.001 momentum=0.9 nesterov=true", "adam lr=0.05"]


@pytest.mark.parametrize("width", [18, 20, 21, 24, 30, 60])
def test_cut_labels_stay_apart_and_fit(width: int) -> None:
    cut = [fit_label(label, width) for label in LANES]
    assert all(len(c) <= width for c in cut), cut
    assert len(set(cut)) == len(cut), cut
    assert all(c.startswith(label.split(" ")[0]) for c, label in zip(cut, LANES))


def test_a_label_that_fits_is_left_alone() -> None:
    assert fit_label("sgd lr=0.001 momentum=0.9 nesterov=true", 60) == "sgd lr=0.001 momentum=0.9 nesterov=true"
