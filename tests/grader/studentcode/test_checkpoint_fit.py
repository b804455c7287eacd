"""Finding the state_dict that fits, in-process (the sandbox runs the same functions)."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from grader.studentcode import StudentCodeError, fit_state
from grader.studentcode.checkpoint import candidates


def tiny(classes: int = 10) -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.Flatten(),
                         nn.Linear(4 * 6 * 6, classes))


def prefixed(state: dict, prefix: str) -> dict:
    return {prefix + k: v for k, v in state.items()}


@pytest.mark.parametrize("prefix", ["module.", "_orig_mod.", "module._orig_mod.",
                                    "_orig_mod.module.", "model.", "model._orig_mod.",
                                    "_orig_mod.model.module.", "backbone."])
def test_prefixes_stripped_in_any_order(prefix):
    trained = tiny()
    model = tiny()
    notes: list[str] = []
    fit_state(model, {"state_dict": prefixed(trained.state_dict(), prefix)}, notes)
    assert torch.equal(model[3].weight, trained[3].weight)
    assert "weights read from checkpoint['state_dict']" in notes


def test_the_state_dict_that_fits_is_picked():
    other, right = tiny(100), tiny(10)
    ckpt = {"model": other.state_dict(), "ema": right.state_dict(), "epoch": 3,
            "optimizer": {"state": {}, "param_groups": []}}
    model, notes = tiny(10), []
    fit_state(model, ckpt, notes)
    assert torch.equal(model[3].weight, right[3].weight)
    assert notes == ["weights read from checkpoint['ema']"]
    assert [w for w, _ in candidates(ckpt)] == ["checkpoint['model']", "checkpoint['ema']"]


def test_old_checkpoints_without_num_batches_tracked_fit():
    state = {k: v for k, v in tiny().state_dict().items() if "num_batches_tracked" not in k}
    fit_state(tiny(), state, [])


def test_other_sizes_point_at_kwargs():
    def Net(num_classes=10):
        return tiny(num_classes)
    with pytest.raises(StudentCodeError, match=r"shape 3.weight \[100, 144\] vs model \[10, 144\]"
                       r".*: the checkpoint was trained with other sizes: set the constructor "
                       r"arguments in `kwargs` \(Net takes num_classes\)"):
        fit_state(Net(), tiny(100).state_dict(), [], "Net", Net)


def test_optimizer_only_checkpoint_is_not_weights():
    with pytest.raises(StudentCodeError, match=r"the checkpoint holds a dict with keys \['epoch', "
                       r"'optimizer'\], not weights: save it with "
                       r"`torch.save\(model.state_dict\(\), path\)`"):
        fit_state(tiny(), {"epoch": 1, "optimizer": {"lr": 0.1}}, [])
