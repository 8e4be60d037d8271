"""Packaging metadata is in setup.cfg.  Only this is not: the shipped studies stay in
``studies/`` at the repository root and install as ``neuromodels/studies`` (setup.cfg's
``packages = find:`` cannot add a package mapped from another folder), so that a
non-editable install finds them (``neuromodels.study.shipped_study_dir``)."""
from setuptools import find_packages, setup

setup(packages=find_packages(include=["neuromodels", "neuromodels.*"]) + ["neuromodels.studies"],
      package_dir={"neuromodels.studies": "studies"})
