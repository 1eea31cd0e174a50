//! What was loaded, per namespace.
