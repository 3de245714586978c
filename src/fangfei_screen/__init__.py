"""fangfei-screen: screen Chinese business registrations for words that may involve
financial activity (固政办〔2025〕10号 附件1) and decide what the registration desk does."""

from .lexicon import (
    KeywordList,
    KeywordListError,
    ListProblem,
    bundled_list_path,
    load_list,
    validate_list,
)
from .models import (
    Action,
    Category,
    Effect,
    EntityType,
    Field,
    Hit,
    Kind,
    Result,
    Status,
    SuppressReason,
    TermInfo,
    Via,
)
from .screener import FieldScan, Screener, ScreeningInputError

__version__ = "0.2.0"

__all__ = [
    "Action",
    "Category",
    "Effect",
    "EntityType",
    "Field",
    "FieldScan",
    "Hit",
    "KeywordList",
    "KeywordListError",
    "Kind",
    "ListProblem",
    "Result",
    "Screener",
    "ScreeningInputError",
    "Status",
    "SuppressReason",
    "TermInfo",
    "Via",
    "__version__",
    "bundled_list_path",
    "load_list",
    "validate_list",
]
