//! Text helpers shared by rules and the engine: decoding file bytes that are not clean UTF-8,
//! and keeping credentials out of what is printed.

use std::borrow::Cow;

/// A file's bytes as text, never refused: UTF-8 as is (a leading byte-order mark kept, so
/// columns match the file), UTF-16 little- or big-endian when the file starts with its
/// byte-order mark (the mark dropped), and anything else as UTF-8 with each invalid sequence
/// replaced by U+FFFD. Secrets in a file with one stray Latin-1 byte, or in a UTF-16 script
/// written by Windows tools, are still secrets.
pub fn decode(bytes: &[u8]) -> Cow<'_, str> {
    let utf16 = |rest: &[u8], unit: fn([u8; 2]) -> u16| -> Cow<'_, str> {
        let units = rest.chunks(2).map(|pair| match pair {
            [a, b] => unit([*a, *b]),
            // An odd trailing byte is not a code unit: let it decode as a replacement.
            _ => 0xDC00,
        });
        Cow::Owned(
            char::decode_utf16(units)
                .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect(),
        )
    };
    match bytes {
        [0xFF, 0xFE, rest @ ..] => utf16(rest, u16::from_le_bytes),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, u16::from_be_bytes),
        _ => String::from_utf8_lossy(bytes),
    }
}

/// Whether [`decode`] reads `bytes` as UTF-16.
pub fn is_utf16(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF])
}

/// `text` with the password of every URL's user information (`scheme://user:password@host`)
/// replaced by `****`: registry and clone URLs with tokens in them are quoted by findings'
/// messages, help and snippets, and must not reach a terminal, a job summary or a SARIF upload.
/// A user name alone (`https://token@host`) is masked too: tokens are commonly passed that way.
pub fn mask_url_credentials(text: &str) -> Cow<'_, str> {
    if !text.contains("://") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut changed = false;
    while let Some(at) = rest.find("://") {
        let authority_start = at + 3;
        out.push_str(&rest[..authority_start]);
        let after = &rest[authority_start..];
        // The authority ends at the first character that cannot be in it.
        let end = after
            .find(|c: char| matches!(c, '/' | '?' | '#') || c.is_whitespace() || is_quote(c))
            .unwrap_or(after.len());
        let authority = &after[..end];
        match authority.rfind('@') {
            Some(userinfo_end) if userinfo_end > 0 => {
                let userinfo = &authority[..userinfo_end];
                match userinfo.split_once(':') {
                    Some((user, _password)) => {
                        out.push_str(user);
                        out.push_str(":****");
                    }
                    None if looks_like_token(userinfo) => out.push_str("****"),
                    None => out.push_str(userinfo),
                }
                changed |= userinfo.contains(':') || looks_like_token(userinfo);
                out.push_str(&authority[userinfo_end..]);
            }
            _ => out.push_str(authority),
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(text)
    }
}

fn is_quote(c: char) -> bool {
    matches!(c, '"' | '\'' | '`' | '<' | '>')
}

/// A user name that is a token rather than a name: long and without the shape of a name
/// (`git`, `oauth2`, `jane.doe` stay).
fn looks_like_token(user: &str) -> bool {
    user.len() >= 20
        && user
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// `text` with every occurrence of each of `secrets` replaced by as many `*` as it has
/// characters (columns stay where they were).
pub fn mask_all(text: &str, secrets: &[String]) -> Option<String> {
    let mut out: Option<String> = None;
    for secret in secrets {
        let current = out.as_deref().unwrap_or(text);
        if current.contains(secret.as_str()) {
            let stars = "*".repeat(secret.chars().count());
            out = Some(current.replace(secret.as_str(), &stars));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_utf16_by_bom_and_replaces_invalid_utf8() {
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("key = x\n".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(decode(&le), "key = x\n");
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain("é\n".encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(decode(&be), "é\n");
        assert_eq!(decode(b"a\xffb"), "a\u{fffd}b");
        assert!(matches!(decode("ok é".as_bytes()), Cow::Borrowed("ok é")));
    }

    #[test]
    fn masks_url_passwords_and_token_users() {
        assert_eq!(
            mask_url_credentials("pip --index-url https://user:pass@index.example/simple x"),
            "pip --index-url https://user:****@index.example/simple x"
        );
        assert_eq!(
            mask_url_credentials(
                "`https://x-access-token:ghp_abc@github.com/o/r` and http://a:b@h"
            ),
            "`https://x-access-token:****@github.com/o/r` and http://a:****@h"
        );
        assert_eq!(
            mask_url_credentials("git+https://ghp_0123456789abcdefghijKLMN@github.com/o"),
            "git+https://****@github.com/o"
        );
        assert_eq!(
            mask_url_credentials("ssh://git@github.com/o/r https://x.org/a@b"),
            "ssh://git@github.com/o/r https://x.org/a@b"
        );
    }

    #[test]
    fn masks_every_occurrence_keeping_width() {
        let secrets = vec!["s3cr3t".to_owned(), "t0k3n".to_owned()];
        assert_eq!(
            mask_all("a=s3cr3t b=t0k3n c=s3cr3t", &secrets).as_deref(),
            Some("a=****** b=***** c=******")
        );
        assert_eq!(mask_all("clean", &secrets), None);
    }
}
