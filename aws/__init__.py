"""The AWS face of Groundwork: boto3's ``mturk`` and ``sagemaker`` clients, pointed at
``endpoint_url=<groundwork>/aws/``, drive the marketplace as they would drive Mechanical Turk and
Ground Truth (issue #16, docs/aws.md).

It is one more edge over the same services, selectors and access checks as the REST API, with
no business rule of its own. Start reading at ``views.py`` (the one endpoint: the AWS JSON 1.1
protocol), then ``sigv4.py`` (who is calling), ``registry.py`` (``X-Amz-Target`` → function),
``errors.py`` (AWS error shapes, and the table from Groundwork's errors to them) and
``protocol.py`` (timestamps, ``NextToken``, answers shaped by botocore's own service models).
The operations live in ``mturk/`` and ``sagemaker/``, one module per area, each a function
``fn(call: AwsCall) -> dict`` registered with ``@operation(service, name)``.
"""
