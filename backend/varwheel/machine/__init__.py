"""The machine side: what this machine supports (providers), ranking and selection exactly as
uv 0.13.9 does, installing with stock pip.  Stands on :mod:`varwheel.model` and
:mod:`varwheel.wheel`; never runs in a build.
"""
