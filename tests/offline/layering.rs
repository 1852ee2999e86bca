//! The pure core has no import cycle: every module of `crates/core/src`
//! depends only on modules that do not depend back on it (tests aside), so
//! a family's module can be read, and changed, without its dependents.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use warmstandby_tests::repo_root;

/// Every file under `root`, at any depth.
fn files_under(root: &Path) -> Vec<std::path::PathBuf> {
    let (mut out, mut dirs) = (Vec::new(), vec![root.to_path_buf()]);
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("a source directory") {
            let path = entry.expect("an entry").path();
            if path.is_dir() { dirs.push(path) } else { out.push(path) }
        }
    }
    out
}

/// Module path (`servers::plan`) to the source outside its tests.
fn modules(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for path in files_under(root) {
        let rel = path.strip_prefix(root).expect("under the root").to_string_lossy().replace('\\', "/");
        let Some(stem) = rel.strip_suffix(".rs") else { continue };
        if stem == "lib" || stem.ends_with("_tests") || stem.ends_with("/tests") || stem == "test_fixtures" {
            continue;
        }
        let module = stem.strip_suffix("/mod").unwrap_or(stem).replace('/', "::");
        let text = std::fs::read_to_string(&path).expect("a source file");
        let code = text.split("#[cfg(test)]").next().unwrap_or_default().to_string();
        out.insert(module, code);
    }
    out
}

/// The modules each one names through `crate::` paths (the longest known prefix).
fn dependencies(modules: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    let mut out = BTreeMap::new();
    for (module, code) in modules {
        let mut deps = BTreeSet::new();
        for (i, _) in code.match_indices("crate::") {
            let path: String =
                code[i + 7..].chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
            let parts: Vec<&str> = path.split("::").filter(|p| !p.is_empty()).collect();
            let target = (1..=parts.len()).rev().map(|n| parts[..n].join("::")).find(|c| modules.contains_key(c));
            if let Some(t) = target
                && &t != module
                && !module.starts_with(&format!("{t}::"))
            {
                deps.insert(t);
            }
        }
        out.insert(module.clone(), deps);
    }
    out
}

/// Strongly connected components with more than one module.
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    // Kosaraju: finish order on the graph, then components on its reverse.
    fn visit(
        v: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        seen: &mut BTreeSet<String>,
        order: &mut Vec<String>,
    ) {
        if !seen.insert(v.to_string()) {
            return;
        }
        for w in graph.get(v).into_iter().flatten() {
            visit(w, graph, seen, order);
        }
        order.push(v.to_string());
    }
    let mut reverse: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (v, ws) in graph {
        for w in ws {
            reverse.entry(w.clone()).or_default().insert(v.clone());
        }
    }
    let (mut seen, mut order) = (BTreeSet::new(), Vec::new());
    for v in graph.keys() {
        visit(v, graph, &mut seen, &mut order);
    }
    let mut assigned = BTreeSet::new();
    let mut out = Vec::new();
    for v in order.iter().rev() {
        let mut component = Vec::new();
        visit(v, &reverse, &mut assigned, &mut component);
        if component.len() > 1 {
            component.sort();
            out.push(component);
        }
    }
    out
}

#[test]
fn the_core_crate_has_no_import_cycle() {
    let modules = modules(&repo_root().join("crates/core/src"));
    assert!(modules.len() > 40, "only {} modules found", modules.len());
    let graph = dependencies(&modules);
    assert!(graph["servers::plan"].contains("servers::inputs"), "the scan sees imports: {:?}", graph["servers::plan"]);
    let found = cycles(&graph);
    assert!(found.is_empty(), "modules of crates/core that import each other: {found:?}");
}

#[test]
fn a_cycle_is_found_when_there_is_one() {
    let graph: BTreeMap<String, BTreeSet<String>> =
        [("a", vec!["b"]), ("b", vec!["c"]), ("c", vec!["a"]), ("d", vec!["a"])]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.into_iter().map(str::to_string).collect()))
            .collect();
    assert_eq!(cycles(&graph), vec![vec!["a".to_string(), "b".into(), "c".into()]]);
}

/// One place for a module's long tests: `<dir>/tests.rs` for a directory
/// module, `<file>_tests.rs` beside a file module (see the README's Tests).
#[test]
fn long_unit_tests_live_where_the_rule_says() {
    let mut checked = 0;
    let roots = ["crates/core/src", "crates/aws/src", "crates/controller/src", "crates/cli/src", "crates/api/src"];
    for path in roots.iter().flat_map(|r| files_under(&repo_root().join(r))) {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        let Some(stem) = name.strip_suffix(".rs") else { continue };
        let text = std::fs::read_to_string(&path).expect("a source file");
        for (i, _) in text.match_indices("#[path = \"") {
            let target: String = text[i + 10..].chars().take_while(|c| *c != '"').collect();
            assert_eq!(
                target,
                format!("{stem}_tests.rs"),
                "{}: tests of {name} are in {stem}_tests.rs",
                path.display()
            );
            let declared = text[i..].lines().nth(1).unwrap_or_default().trim();
            assert_eq!(declared, "mod tests;", "{}: the file is declared as `mod tests`", path.display());
            checked += 1;
        }
        if let Some(tested) = stem.strip_suffix("_tests") {
            let owner = path.with_file_name(format!("{tested}.rs"));
            let declares =
                std::fs::read_to_string(&owner).unwrap_or_default().contains(&format!("#[path = \"{name}\"]"));
            assert!(declares, "{} is declared by {}", path.display(), owner.display());
        }
        if name == "tests.rs" {
            let module = path.with_file_name("mod.rs");
            let declares = std::fs::read_to_string(&module).unwrap_or_default().contains("mod tests;");
            assert!(declares, "{} belongs to a directory module whose mod.rs declares `mod tests;`", path.display());
        }
    }
    assert!(checked >= 5, "only {checked} test files found");
}

/// The emulator's leftover census counts every kind core knows (its list is
/// checked against what it counts on every run).
#[test]
fn the_leftover_census_counts_every_kind() {
    let counted: BTreeSet<warmstandby_core::resource::Kind> =
        warmstandby_tests::census::COUNTED.iter().flat_map(|(_, kinds)| kinds.iter().copied()).collect();
    let missing: Vec<_> = warmstandby_core::resource::Kind::ALL.iter().filter(|k| !counted.contains(k)).collect();
    assert!(missing.is_empty(), "kinds no census count covers: {missing:?}");
}
