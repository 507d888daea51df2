"""Offline checks of a project's infrastructure trees (`amlops check-infra`): parse, `terraform fmt`, checkov.

`check` runs the checks, `iac_eval` evaluates the subset of Terraform and Bicep the trees use. The trees and
the checkov skip lists stay in the project (`infrastructure/` by default); the parsers are the `infra` extra.
"""
