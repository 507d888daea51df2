"""The Azure DevOps dialect of the local runner: parse -> expand -> plan -> execute.

`expand` (templates, parameters, `${{ }}`) and `expr` (Azure Pipelines expressions) run before anything
does; `parse` reads the expanded document into frozen dataclasses, `plan` orders stages and jobs and
decides their default conditions, `run` executes the plan on this machine and `dialect` is the entry of
`amlops.ci.dialects`.
"""
