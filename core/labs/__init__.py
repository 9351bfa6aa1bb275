"""The labs: one module per lab, each exporting LAB (a LabSpec). A new lab is its module, its lesson file, its
tests and one entry in MODULES."""

from __future__ import annotations

import importlib

from normlens.labs.base import LabResult, LabSpec

# module names under normlens.labs, in the order the /labs index shows them
MODULES: tuple[str, ...] = (
    "dropout_bn",
    "running_stats",
    "sync_bn",
    "bias_before_bn",
    "bn_relu_order",
    "precision",
    "minmax_vs_standard",
    "batch_size",
)
LABS: dict[str, LabSpec] = {
    spec.slug: spec for spec in (importlib.import_module(f"normlens.labs.{m}").LAB for m in MODULES)
}

__all__ = ["LABS", "MODULES", "LabResult", "LabSpec"]
