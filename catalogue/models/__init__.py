"""The class catalogue and the datasets' images."""

from .classes import LabelClass, Superclass
from .images import Dataset, Image

__all__ = ["Dataset", "Image", "LabelClass", "Superclass"]
