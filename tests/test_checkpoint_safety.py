"""Loading state safely: malformed state_dicts and crafted checkpoint files are refused with an error
that names the key or the file, in bounded memory, and nothing is half-loaded."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_la as tg
from tinygrad_la import nn


# --- Module.load_state_dict -----------------------------------------------------------------------

def _linear_and_its_values():
    model = nn.Linear(2, 2)
    return model, {k: v.data.copy() for k, v in model.state_dict().items()}


@pytest.mark.parametrize("value", [[[1.0, 2.0], [3.0]], [[1.0, 2.0], "ab"]], ids=["ragged", "mixed"])
def test_module_load_state_dict_names_the_key_of_a_ragged_value_and_loads_nothing(value):
    model, before = _linear_and_its_values()
    with pytest.raises(RuntimeError) as caught:
        model.load_state_dict({"weight": value, "bias": tg.tensor([5.0, 6.0])})
    message = str(caught.value)
    assert 'parameter named "weight"' in message and "(2, 2)" in message
    for key, param in model.state_dict().items():   # the good bias was not copied either
        np.testing.assert_array_equal(param.data, before[key])


def test_module_load_state_dict_of_a_string_is_a_type_error_as_in_pytorch():
    model, before = _linear_and_its_values()
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like.*got str"):
        model.load_state_dict("model.npz")
    np.testing.assert_array_equal(model.weight.data, before["weight"])


def test_module_load_state_dict_still_takes_regular_nested_lists():
    model, _ = _linear_and_its_values()
    model.load_state_dict({"weight": [[1.0, 2.0], [3.0, 4.0]], "bias": [5.0, 6.0]})
    assert model.weight.data.tolist() == [[1.0, 2.0], [3.0, 4.0]] and model.bias.data.tolist() == [5.0, 6.0]
