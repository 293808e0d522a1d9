"""The release kit: index files, relabel, repair, the CI matrix, ``check`` and its findings.
Stands on :mod:`varwheel.model` and :mod:`varwheel.wheel`.
"""
