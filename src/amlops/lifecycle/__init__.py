"""The MLOps lifecycle above the local CI runner (`amlops.ci`): the project's pipelines chosen by their
triggers, and run PR CI -> train -> the registry event -> deploy.

- `commands_run`: `amlops run` (`run_pipeline`: one file through its dialect, with the project's
  repository map, variable groups, state folder and step environment; `newest_event`: the registry event).
- `commands_expand`: `amlops expand`, and the project's own settings (`project_repos`, `pipeline_file`).
- `triggers`: which of the project's pipelines an event starts, in lifecycle order.
- `run`: `run_lifecycle`, the whole lifecycle for one dialect (`make demo`, the end-to-end tests).
"""
