//! `files/*`: which files a repository has, what they contain, how large and how named.

super::rule_modules! {
    binary_artifact,
    content,
    forbidden,
    max_size,
    naming,
    required,
}

/// `value` cut to `max` characters, with an ellipsis when cut.
pub(crate) fn shorten(value: &str, max: usize) -> String {
    match value.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &value[..at]),
        None => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortens_on_character_boundaries() {
        assert_eq!(shorten("héllo", 2), "hé…");
        assert_eq!(shorten("hé", 2), "hé");
    }
}
