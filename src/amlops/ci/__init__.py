"""The local CI runner: expand and run Azure DevOps and GitHub Actions pipeline files offline."""
