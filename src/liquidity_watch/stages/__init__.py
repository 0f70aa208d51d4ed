"""The pipeline as plain functions: a run's context, its stages in order, and the steps after the publish.

No Prefect here (``tests/test_layout.py`` checks it): ``flows.pipeline`` wraps these functions
in tasks and a flow, and a test runs them as they are.
"""
