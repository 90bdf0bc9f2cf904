//! The crate's layers, bottom first. A module may use modules of lower layers only, so every
//! arrow points down and no two modules depend on each other; `docs/architecture.md` draws
//! the same table. The test reads the sources, so a new `use` that points up fails it.

/// Layer by layer; modules on one line do not use each other.
const LAYERS: &[&[&str]] = &[
    &["secrets"],
    &["domain"],
    &["config", "i18n"],
    &["telemetry", "db"],
    &[
        "keys",
        "ops",
        "passwords",
        "payment",
        "store_providers",
        "web",
    ],
    &["state"],
    &["accounts", "placeorder", "webhooks"],
    &["provider"],
    &["store", "checkout"],
    &["relying_party"],
    &["registration"],
    &["app"],
    &["demo", "catalog", "check"],
    &["cli"],
];

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    use super::LAYERS;

    fn layer_of(module: &str) -> Option<usize> {
        LAYERS.iter().position(|layer| layer.contains(&module))
    }

    fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                rust_files(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                found.push(path);
            }
        }
    }

    /// The top-level module a file under `src/` belongs to (`db/codes.rs` → `db`).
    fn module_of(src: &Path, file: &Path) -> String {
        let relative = file.strip_prefix(src).unwrap();
        let first = relative.components().next().unwrap().as_os_str();
        first.to_string_lossy().trim_end_matches(".rs").to_owned()
    }

    /// Every `crate::name` a file mentions, in `use` lists too (`use crate::{db, web::X}`).
    fn crate_paths(source: &str) -> BTreeSet<String> {
        let mut used = BTreeSet::new();
        let code: String = source
            .lines()
            .filter(|line| !line.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        for (at, _) in code.match_indices("crate::") {
            let rest = &code[at + "crate::".len()..];
            if let Some(list) = rest.strip_prefix('{') {
                let list = &list[..list.find(';').unwrap_or(list.len())];
                let mut depth = 0;
                let mut start = 0;
                for (i, c) in list.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => {
                            used.insert(first_ident(&list[start..i]));
                            break;
                        }
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            used.insert(first_ident(&list[start..i]));
                            start = i + 1;
                        }
                        _ => {}
                    }
                }
            } else {
                used.insert(first_ident(rest));
            }
        }
        used.retain(|name| !name.is_empty());
        used
    }

    fn first_ident(text: &str) -> String {
        text.trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    }

    #[test]
    fn every_module_uses_only_modules_below_it() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        let mut upward = Vec::new();
        for file in &files {
            let module = module_of(&src, file);
            if matches!(module.as_str(), "lib" | "main" | "layers") {
                continue;
            }
            let own = layer_of(&module)
                .unwrap_or_else(|| panic!("src/{module} is in no layer of src/layers.rs"));
            let source = std::fs::read_to_string(file).unwrap();
            for used in crate_paths(&source) {
                if used == module {
                    continue;
                }
                let Some(theirs) = layer_of(&used) else {
                    continue;
                };
                if theirs >= own {
                    upward.push(format!(
                        "{} uses crate::{used}",
                        file.strip_prefix(&src).unwrap().display()
                    ));
                }
            }
        }
        assert!(
            upward.is_empty(),
            "imports that do not point down:\n{}",
            upward.join("\n")
        );
    }

    #[test]
    fn every_module_of_the_crate_has_a_layer() {
        let lib = include_str!("lib.rs");
        for line in lib.lines() {
            if let Some(name) = line.strip_prefix("pub mod ").or(line.strip_prefix("mod ")) {
                let name = name.trim_end_matches(';');
                if name != "layers" {
                    assert!(layer_of(name).is_some(), "{name} is in no layer");
                }
            }
        }
    }

    #[test]
    fn the_scanner_sees_nested_use_lists() {
        let found = crate_paths("use crate::{db::{self, x}, web::Y};\nlet a = crate::app::f();");
        assert_eq!(found.into_iter().collect::<Vec<_>>(), ["app", "db", "web"]);
    }
}
