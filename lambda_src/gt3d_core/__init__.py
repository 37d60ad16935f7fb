"""Pure-Python core shared by the Lambda handlers and the CDK app: no boto3, no CDK."""
