//! Single-use authorization codes.
