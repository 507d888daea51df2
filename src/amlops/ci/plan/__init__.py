"""Order stages and jobs by their dependencies; default conditions."""

from amlops.ci.plan.azure_devops import Plan, PlannedJob, PlannedStage, plan_pipeline

__all__ = ["Plan", "PlannedJob", "PlannedStage", "plan_pipeline"]
