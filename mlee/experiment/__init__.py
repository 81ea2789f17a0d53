"""Old home of the run side: its modules now live in :mod:`mlee.runs`, :mod:`mlee.backends`,
:mod:`mlee.executors` and :mod:`mlee.cli`. ``import mlee.experiment.runner`` and the like still work (each
old name is the new module itself) and warn once with the new name."""

import importlib
import importlib.abc
import importlib.util
import sys
import warnings

_MOVED = {
    "mlee.experiment.cli": "mlee.cli.evaluate",
    "mlee.experiment.complexity": "mlee.runs.complexity",
    "mlee.experiment.dask_executor": "mlee.executors.dask_executor",
    "mlee.experiment.dask_worker": "mlee.executors.dask_worker",
    "mlee.experiment.data_file": "mlee.runs.data_file",
    "mlee.experiment.datasets": "mlee.runs.datasets",
    "mlee.experiment.defaults": "mlee.runs.defaults",
    "mlee.experiment.errors": "mlee.runs.errors",
    "mlee.experiment.folder_transfer": "mlee.runs.folder_transfer",
    "mlee.experiment.folders": "mlee.runs.folders",
    "mlee.experiment.hyperparams": "mlee.runs.hyperparams",
    "mlee.experiment.identity": "mlee.runs.identity",
    "mlee.experiment.interrupts": "mlee.runs.interrupts",
    "mlee.experiment.methods": "mlee.runs.methods",
    "mlee.experiment.platform_info": "mlee.runs.platform_info",
    "mlee.experiment.preparation": "mlee.runs.preparation",
    "mlee.experiment.quality": "mlee.runs.quality",
    "mlee.experiment.robustness": "mlee.runs.robustness",
    "mlee.experiment.run_execution": "mlee.runs.run_execution",
    "mlee.experiment.run_folder": "mlee.runs.run_folder",
    "mlee.experiment.runner": "mlee.runs.runner",
    "mlee.experiment.search_spaces": "mlee.runs.search_spaces",
    "mlee.experiment.sklearnex_backend": "mlee.backends.sklearnex",
    "mlee.experiment.spec": "mlee.runs.spec",
    "mlee.experiment.sweep": "mlee.executors.sweep",
    "mlee.experiment.sweep_cli": "mlee.cli.executor_options",
    "mlee.experiment.torch_models": "mlee.backends.torch_models",
}


class _MovedFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path=None, target=None):
        if name not in _MOVED:
            return None
        return importlib.util.spec_from_loader(name, self)

    def create_module(self, spec):
        warnings.warn(f"{spec.name} moved to {_MOVED[spec.name]}: import it from there", DeprecationWarning,
                      stacklevel=2)
        module = importlib.import_module(_MOVED[spec.name])
        sys.modules[spec.name] = module
        return module

    def exec_module(self, module):
        pass


if not any(isinstance(finder, _MovedFinder) for finder in sys.meta_path):
    sys.meta_path.append(_MovedFinder())
