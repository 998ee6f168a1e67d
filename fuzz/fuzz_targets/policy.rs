//! goldpath.toml: the policy loader (TOML, `extends`, settings, rule options) and the
//! building of every rule it configures.
#![no_main]

use std::io;
use std::path::Path;

use goldpath::policy::PolicyReader;
use goldpath::{Engine, Policy, Registry};
use libfuzzer_sys::fuzz_target;

/// `extends` of a file: one file, `shared.toml`, holds the same text (so cycles and
/// re-reading are exercised); every other path does not exist.
struct Reader<'a>(&'a str);

impl PolicyReader for Reader<'_> {
    fn read(&self, path: &Path) -> io::Result<Option<String>> {
        Ok((path.file_name() == Some("shared.toml".as_ref())).then(|| self.0.to_owned()))
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let reader = Reader(text);
    match Policy::from_text("goldpath.toml", text, Path::new("/fuzz"), &reader) {
        Ok(policy) => {
            if let Err(e) = Engine::new(&Registry::builtin(), &policy) {
                let _ = e.to_string();
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
