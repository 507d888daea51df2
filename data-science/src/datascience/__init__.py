"""Azure ML components for a dataset described by one contract (data-science/contract.yml)."""
