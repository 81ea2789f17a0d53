"""The typed run specification: its identity covers what makes results comparable and nothing else, and the
meter's configuration is one validated record that errors by parameter name."""

from __future__ import annotations

import json

import pytest

from mlee.errors import MleeError
from mlee.runs.spec import RunSpec
from mlee.monitoring import Meter
from mlee.monitoring.config import MeterConfig


def _spec(**changes):
    values = dict(dataset="iris", method="Random Forest", hyperparameters={"n_estimators": 50})
    values.update(changes)
    return RunSpec(**values)


def test_identity_changes_with_every_setting_that_makes_results_incomparable():
    base = _spec()
    others = [_spec(hyperparameters={"n_estimators": 100}), _spec(test_size=0.5), _spec(split_seed=1),
              _spec(average="micro"), _spec(backend="sklearnex"), _spec(device="cuda"), _spec(robustness=False),
              _spec(meter=MeterConfig(monitor="rapl")), _spec(dataset="wine"), _spec(method="AdaBoost")]
    identities = {base.identity, *(o.identity for o in others)}
    assert len(identities) == len(others) + 1
    assert all(len(i) == 16 and int(i, 16) >= 0 for i in identities)


def test_identity_ignores_where_values_came_from_and_the_fingerprint():
    assert _spec(dataset_fingerprint="aa", hyperparameters_source="a.json").identity == \
        _spec(dataset_fingerprint="bb", hyperparameters_source="default").identity
    # the same meter settings spelt as the command line and as Meter's parameters give one identity
    cli = _spec(meter=MeterConfig.from_dict({"monitor": "Estimate", "cpu_tdp": None, "idle_seconds": 0,
                                              "country": "DE", "pue": 1}))
    library = _spec(meter=MeterConfig(monitor="estimate", country="DEU"))
    assert cli.identity == library.identity and cli.meter.country == "DEU"


def test_spec_round_trips_through_json():
    spec = _spec(meter=MeterConfig(monitor="estimate", idle_seconds=0.5), dataset_fingerprint="ff")
    again = RunSpec.from_dict(json.loads(json.dumps(spec.to_dict())))
    assert again == spec and again.identity == spec.identity and again.dataset_fingerprint == "ff"
    assert again.meter == MeterConfig.from_dict(spec.meter.to_dict())


@pytest.mark.parametrize("kwargs, name", [({"pue": 0.5}, "pue"), ({"cpu_tdp_w": -3}, "cpu_tdp_w"),
                                          ({"idle_seconds": -1}, "idle_seconds"), ({"monitor": "wattmeter"}, "monitor"),
                                          ({"country": "Atlantis"}, "country")])
def test_meter_errors_name_the_parameter_not_the_flag(kwargs, name):
    with pytest.raises(MleeError) as caught:
        Meter(**kwargs)
    assert str(caught.value).startswith(name) and "--" not in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_meter_config_refuses_unknown_settings():
    with pytest.raises(ValueError, match="unknown meter setting 'pues'"):
        MeterConfig.from_dict({"pues": 1.2})
