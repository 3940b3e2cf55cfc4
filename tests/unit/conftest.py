"""Shared set-up for the unit tests."""

import pytest
import torch

# The models here are tiny: one intra-op thread is as fast, and with more threads a busy machine
# (another process on one of two cores) makes OpenMP's spinning threads 10-50x slower.
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _no_user_scenarios(monkeypatch, tmp_path):
    """Scenario names resolve to the bundled files, whatever the machine's user folder holds."""
    monkeypatch.setenv("PLAYGROUND_SCENARIOS", "")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("APPDATA", str(tmp_path / "config"))
