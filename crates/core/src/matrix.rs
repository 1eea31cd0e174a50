//! The connectivity matrix.
