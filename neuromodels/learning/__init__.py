"""The package's learning framework: eligibility traces, learning signals,
update rules and a sample schedule, all executed by Brian2 generated code.

Seams: :mod:`.traces` (what is eligible), :mod:`.signals` (what the learning
signal L is and how it is routed), :mod:`.rules` (how L and the traces change
weights / thresholds), :mod:`.schedule` (how a data set becomes one run),
:mod:`.network` (layered networks built from these pieces).
"""
from .network import (NDLNetwork, NDLParams, NDLProgram, SUPPORTED_DEVICES, accuracy,
                      build_brian_objects, build_ndl_network, cosine_schedule, describe, evaluate, predict,
                      train, train_epoch)
from .rules import NDLRule, surrogate_baseline
from .schedule import SampleSchedule

__all__ = ["NDLNetwork", "NDLParams", "NDLProgram", "NDLRule", "SampleSchedule",
           "SUPPORTED_DEVICES", "accuracy", "build_brian_objects", "build_ndl_network",
           "cosine_schedule", "describe", "evaluate", "predict", "surrogate_baseline", "train", "train_epoch"]
