"""Running instructor-written code (require, solution, check expressions) with limits, in a separate process."""
from quizserver.sandbox.jail import configure, forbid_dumps
from quizserver.sandbox.limits import Limits
from quizserver.sandbox.policy import AUTHOR_ERROR_KINDS, AuthorError, check_code
from quizserver.sandbox.runner import Runner, get_runner

__all__ = ["AUTHOR_ERROR_KINDS", "AuthorError", "Limits", "Runner", "check_code", "configure", "forbid_dumps",
           "get_runner"]
