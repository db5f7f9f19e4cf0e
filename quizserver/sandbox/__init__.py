"""Running instructor-written code (require, solution, check expressions) with limits, in a separate process."""
from quizserver.sandbox.policy import AUTHOR_ERROR_KINDS, AuthorError, check_code
from quizserver.sandbox.runner import Limits, Runner, get_runner

__all__ = ["AUTHOR_ERROR_KINDS", "AuthorError", "Limits", "Runner", "check_code", "get_runner"]
