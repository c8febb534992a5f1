"""One base error, shown once: a line on the command line, a JSON 4xx over HTTP."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from core.errors import FinelabelError, MissingInput, NotFound
from core.http import api_exception_handler, error_response
from crowd.services.submission_input import SubmissionError
from models_zoo.registry import UnknownEnsembleError
from review.services import ReviewError
from review.truth import GroundTruthError


def test_the_projects_errors_share_one_base():
    for error in (SubmissionError, UnknownEnsembleError, ReviewError, GroundTruthError):
        assert issubclass(error, FinelabelError)


def test_over_http_an_error_is_its_status_and_the_submit_endpoints_shape():
    response = api_exception_handler(NotFound("No campaign with id or name '9'"), {})
    assert response.status_code == 404
    assert response.data == {"error": "No campaign with id or name '9'", "code": "not_found"}
    refused = error_response(SubmissionError("Already answered.", "repeat"))
    assert refused.status_code == 400
    assert refused.content == b'{"error": "Already answered.", "code": "repeat"}'
    assert api_exception_handler(MissingInput("run stage 4 first"), {}).status_code == 409


@pytest.mark.django_db
def test_a_command_ends_on_the_errors_message_not_a_traceback():
    with pytest.raises(
        CommandError, match=r"^No campaign with id or name 'nope'; campaigns: none$"
    ):
        call_command("classify", "--campaign", "nope", "all", stdout=io.StringIO())
