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
from .institutions import InstitutionKind, institution_of
from .licences import LicenceEntry, LicenceMatch, LicenceRegister, LicenceRegisterError, load_register
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
    "InstitutionKind",
    "KeywordList",
    "KeywordListError",
    "Kind",
    "LicenceEntry",
    "LicenceMatch",
    "LicenceRegister",
    "LicenceRegisterError",
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
    "institution_of",
    "load_list",
    "load_register",
    "validate_list",
]
