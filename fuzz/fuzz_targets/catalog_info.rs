//! Backstage catalog-info.yaml: the ownership/catalog-info rule (YAML, several documents,
//! entity validation, owners compared with CODEOWNERS) over the input.
#![no_main]

use std::sync::OnceLock;

use goldpath::Engine;
use goldpath_fuzz::{check, engine};
use libfuzzer_sys::fuzz_target;

static ENGINE: OnceLock<Engine> = OnceLock::new();

const POLICY: &str =
    "[rules.\"ownership/catalog-info\"]\nrequired = true\nowner-in-codeowners = true\n";
const CODEOWNERS: &[u8] = b"* @acme/platform\n/svc/ @acme/payments user@example.com\n";

fuzz_target!(|data: &[u8]| {
    let engine = engine(&ENGINE, POLICY);
    let path = if data.first().is_some_and(|b| b & 1 == 1) {
        "svc/catalog-info.yml"
    } else {
        "catalog-info.yaml"
    };
    // The bytes go in as they are: the engine reports a file that is not UTF-8.
    let _ = check(engine, &[(".github/CODEOWNERS", CODEOWNERS), (path, data)]);
});
