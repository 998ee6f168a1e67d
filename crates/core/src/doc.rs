//! Structured documents (JSON, YAML, TOML) with a position for every key and value.
