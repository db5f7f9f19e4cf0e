"""Question banks: YAML files -> validated, frozen dataclasses. No Flask, no SQLAlchemy."""
from .model import (
    FORMAT_VERSIONS,
    PARAM_KINDS,
    Bank,
    Check,
    Choice,
    ParamSpec,
    Problem,
    Question,
    has_errors,
)
from .validate import (
    bank_paths,
    content_hash,
    load_bank,
    load_bank_file,
    load_banks,
    validate_bank,
)

__all__ = [
    "FORMAT_VERSIONS",
    "PARAM_KINDS",
    "Bank",
    "Check",
    "Choice",
    "ParamSpec",
    "Problem",
    "Question",
    "bank_paths",
    "content_hash",
    "has_errors",
    "load_bank",
    "load_bank_file",
    "load_banks",
    "validate_bank",
]
