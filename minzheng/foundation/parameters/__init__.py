"""Time-versioned policy parameters: standard types and their values per region, hukou type and
date, and the income kinds left out of family income. Below the engines, so every engine and line
(benefits, care, supervision, indicators) reads them without importing one another (ADR 0017)."""
