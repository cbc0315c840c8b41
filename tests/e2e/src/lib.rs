//! Cross-gateway scenarios live in `tests/`.
