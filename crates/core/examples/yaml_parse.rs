//! Parses each YAML file named on the command line (or one path a line on stdin when there are
//! none) with goldpath's reader and prints `ok<TAB>path` or `error<TAB>path<TAB>line:column
//! message`, to compare goldpath with other YAML readers file by file:
//!
//! ```text
//! find repo/.github -name '*.yml' | cargo run -q -p goldpath --example yaml_parse
//! ```
//!
//! `compare_with_pyyaml.py` beside this file does that against PyYAML. With `YAML_PARSE_JSON`
//! set, each `ok` line also carries the documents as compact JSON.

use std::io::BufRead as _;

use goldpath::doc::{parse, Format};

fn main() {
    let mut paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        paths = std::io::stdin()
            .lock()
            .lines()
            .map_while(Result::ok)
            .filter(|l| !l.is_empty())
            .collect();
    }
    for path in paths {
        let text = match std::fs::read(&path).map(String::from_utf8) {
            Ok(Ok(text)) => text,
            Ok(Err(_)) => {
                println!("error\t{path}\tnot UTF-8");
                continue;
            }
            Err(e) => {
                println!("error\t{path}\t{e}");
                continue;
            }
        };
        match parse(Format::Yaml, &text) {
            Ok(documents) if std::env::var_os("YAML_PARSE_JSON").is_some() => {
                let json: Vec<String> = documents.iter().map(|d| d.to_display()).collect();
                println!("ok\t{path}\t[{}]", json.join(","));
            }
            Ok(_) => println!("ok\t{path}"),
            Err(e) => println!("error\t{path}\t{e}"),
        }
    }
}
