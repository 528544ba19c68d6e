"""AWS connector: organization accounts, IAM users with their keys, and cloud resources (EC2, S3,
RDS, Lambda) per account and region, read-only through boto3; sandbox on moto."""
