"""cidrwatch's test bed inside LocalStack: a Lambda executor that runs the function as a local
process (executor.py) and CloudFormation's half of custom resources (custom_resource.py)."""
