"""``POST /aws/``: the one endpoint of the AWS JSON 1.1 protocol.

Thin: read the body, find the service from ``X-Amz-Target``, verify the Signature Version 4
(``sigv4``), apply the API key's rate limit to writes, check the body against botocore's input
shape, call the registered operation, shape its answer by the output shape (``protocol``) and
turn every error into the AWS shape (``errors``). The operation functions hold no business
rule: they call the same services, selectors and access checks as REST.
"""

from __future__ import annotations

import json
import logging
import uuid

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from marketplace.errors import DomainError
from marketplace.jsonbody import parse_json
from marketplace.principals import RequesterPrincipal
from marketplace.ratelimit import api_key_write_wait
from marketplace.services.organizations import api_key_mark_used

from . import operations  # noqa: F401  (fills the registry)
from .calls import AwsCall
from .errors import MTURK, AwsError, Throttling, ValidationException, aws_error_for, server_fault
from .errors import not_found as not_found_error
from .protocol import parse_input, shape_output
from .registry import SIGNING_NAMES, is_read_only, lookup, parse_target
from .sigv4 import verify_signature

logger = logging.getLogger(__name__)

CONTENT_TYPE = "application/x-amz-json-1.1"
_ACCEPTED_CONTENT_TYPES = ("application/x-amz-json-1.1", "application/x-amz-json-1.0", "application/json")


def _respond(status: int, body: dict, request_id: str) -> HttpResponse:
    response = HttpResponse(json.dumps(body), status=status, content_type=CONTENT_TYPE)
    response["x-amzn-RequestId"] = request_id
    return response


@csrf_exempt  # signed requests, never a browser's cookie
def aws_endpoint(request: HttpRequest) -> HttpResponse:
    request_id = str(uuid.uuid4())
    service = MTURK
    try:
        if request.method != "POST":
            raise AwsError("the AWS endpoint takes POST only", type_name="MethodNotAllowed", status=405)
        service, name = parse_target(request.META.get("HTTP_X_AMZ_TARGET", ""))
        try:
            body = request.body
        except RequestDataTooBig:
            raise ValidationException("the request body is too large", status=413) from None
        signer = verify_signature(request, body, signing_name=SIGNING_NAMES[service])
        api_key = signer.api_key
        api_key_mark_used(api_key=api_key)
        content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        if content_type not in _ACCEPTED_CONTENT_TYPES:
            raise AwsError(f"Content-Type must be {CONTENT_TYPE}", type_name="SerializationException")
        fn = lookup(service, name)
        if not is_read_only(name):
            _take_write_token(RequesterPrincipal(organization=api_key.organization, api_key=api_key))
        params = parse_json(body) if body.strip() else {}
        if not isinstance(params, dict):
            raise AwsError("the request body must be a JSON object", type_name="SerializationException")
        call = AwsCall(
            organization=api_key.organization,
            api_key=api_key,
            service=service,
            operation=name,
            params=parse_input(service, name, params),
            request_id=request_id,
            region=signer.region,
        )
        return _respond(200, shape_output(service, name, fn(call)), request_id)
    except AwsError as error:
        return _respond(error.status, error.body(), request_id)
    except DomainError as error:
        aws_error = aws_error_for(error, service=service)
        return _respond(aws_error.status, aws_error.body(), request_id)
    except Http404 as error:
        aws_error = not_found_error(str(error) or "not found", service=service)
        return _respond(aws_error.status, aws_error.body(), request_id)
    except Exception:
        logger.exception("AWS request %s failed", request_id)
        aws_error = server_fault(service=service, request_id=request_id)
        return _respond(aws_error.status, aws_error.body(), request_id)


def _take_write_token(principal: RequesterPrincipal) -> None:
    """The REST limit on writes, on the same bucket: an API key's writes over REST and over
    the AWS endpoint count together."""
    wait = api_key_write_wait(principal.rate_limit_id)
    if wait:
        raise Throttling(f"Rate exceeded: retry in {wait:.2f} seconds")
