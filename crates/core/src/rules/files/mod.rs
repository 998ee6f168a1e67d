//! `files/*`: which files a repository has, what they contain, how large and how named.

pub mod binary_artifact;
pub mod content;
pub mod forbidden;
pub mod max_size;
pub mod naming;
pub mod required;

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
