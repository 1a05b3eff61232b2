"""User-facing errors: each becomes one line on stderr and exit code 2."""
from __future__ import annotations

from .render.devices import DeviceError
from .gatys.optimize import GatysError
from .io.images import ImageError
from .nets.model_io import ModelFileError
from .nets.registry import StyleNotFound
from .nets.train import TrainError
from .nets.vgg import WeightsError


class MediaError(ValueError):
    """A video or camera source cannot be opened or decoded, or an output cannot be written."""


class UsageError(ValueError):
    """A bad option value (out of range, inconsistent)."""


USER_ERRORS = (UsageError, GatysError, MediaError, ImageError, ModelFileError, StyleNotFound, DeviceError, TrainError, WeightsError)
