//! Footage by HTTP Range (to be written).
