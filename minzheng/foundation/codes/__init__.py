"""Identity codes: resident ID (GB 11643), unified social credit code (GB 32100), region codes."""

from .idnumbers import IdNumberError, ResidentId, mask_id_number, parse_id_number, validate_id_number
from .uscc import UsccError, validate_uscc

__all__ = [
    "IdNumberError",
    "ResidentId",
    "UsccError",
    "mask_id_number",
    "parse_id_number",
    "validate_id_number",
    "validate_uscc",
]
