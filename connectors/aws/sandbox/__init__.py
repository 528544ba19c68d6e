"""The AWS sandbox: moto over HTTPS with IAM enforcement, faults, a Config aggregator fake and the
demo agency's estate (see `tenant.AwsSandbox`)."""

from connectors.aws.sandbox.tenant import AwsSandbox

__all__ = ["AwsSandbox"]
