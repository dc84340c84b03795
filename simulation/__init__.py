"""careshift: a discrete-event model of a local health and care system."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("careshift")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+source"

from . import _compiled

_compiled.select()  # before anything imports the engine: compiled, or its source if that has changed
