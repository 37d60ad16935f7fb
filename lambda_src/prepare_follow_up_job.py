"""Lambda: once the first labeling job completed, prepare the adjustment job the execution input asked for.

The follow-up (``$.plan.then``, planned and validated with the first job) reviews the first job's labels: its
manifest is the first job's output manifest, copied under the input location, and its label category file is the
first job's with ``auditLabelAttributeName`` set to the first job's label attribute. Returns the state the workflow
continues with: the follow-up's plan (through the same create and monitor steps) and the first job's results.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext
from handler_support import aws_error_policy, logger, sdk_config

from gt3d_core.adjustment import audit_label_categories
from gt3d_core.errors import InvalidRequestError
from gt3d_core.json_text import decode_json_bytes, load_json_document
from gt3d_core.labeling_job import LabelingJobPlan
from gt3d_core.s3_location import S3Uri

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


@functools.cache
def _s3_client() -> S3Client:
    return boto3.client("s3", config=sdk_config())


@logger.inject_lambda_context
def handler(event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Event ``{"plan", "job", "monitor"}`` of the completed first job; return ``{"plan", "previous"}``."""
    plan = LabelingJobPlan.from_dict(event.get("plan"))
    follow_up = plan.then
    monitor = event.get("monitor") or {}
    output_manifest = monitor.get("output_manifest_uri") if isinstance(monitor, Mapping) else None
    if follow_up is None or not isinstance(output_manifest, str):
        raise InvalidRequestError(
            "PrepareFollowUpJob needs a plan with `then` and the completed job's output_manifest_uri; the workflow "
            "runs it only then. Redeploy the pipeline stack."
        )
    with aws_error_policy():
        prepare_follow_up(_s3_client(), plan, follow_up, S3Uri.parse(output_manifest))
    logger.info("Follow-up job prepared", extra={"job_name": follow_up.job_name, "task_type": follow_up.task_type})
    return {"plan": follow_up.to_dict(), "previous": {"job": event.get("job"), "monitor": monitor}}


def prepare_follow_up(s3: S3Client, first: LabelingJobPlan, follow_up: LabelingJobPlan, output_manifest: S3Uri) -> None:
    """Copy the first job's output manifest to the follow-up's manifest and write its label category file."""
    manifest = S3Uri.parse(follow_up.manifest_uri)
    s3.copy({"Bucket": output_manifest.bucket, "Key": output_manifest.key}, manifest.bucket, manifest.key)
    source = S3Uri.parse(first.label_category_config_uri)
    text = decode_json_bytes(str(source), s3.get_object(Bucket=source.bucket, Key=source.key)["Body"].read())
    document = load_json_document(str(source), text)
    if not isinstance(document, Mapping):
        raise InvalidRequestError(f"The label category file {source} is not a JSON object.")
    target = S3Uri.parse(follow_up.label_category_config_uri)
    body = json.dumps(audit_label_categories(document, first.label_attribute_name), indent=2).encode()
    s3.put_object(Bucket=target.bucket, Key=target.key, Body=body, ContentType="application/json")
