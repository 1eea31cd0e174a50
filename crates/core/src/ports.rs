//! Connection sets: per-protocol port interval sets.
