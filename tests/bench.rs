// SPDX-License-Identifier: Apache-2.0 OR MIT
//! `scripts/bench --quick`: the benchmark guest (guests/bench) produces
//! every figure in every column. Times are printed, never asserted; what
//! is checked is that each cell holds a time and an EL2-entry count, and
//! that the two figures whose entry count is fixed by construction (one
//! hypercall each: `hvc`, `eoi`) come out at exactly 1.00, which they can
//! only if the exit-counter difference scripts/bench takes is right.

use std::time::Duration;

use system_tests::script;

const FIGURES: [&str; 7] = [
    "hvc",
    "ipi-wfi",
    "ipi-poll",
    "ipi-bcast",
    "eoi",
    "self-ipi",
    "timer",
];
const COLUMNS: usize = 4;

/// `"202.0 ns, 1.00"` as (ns, entries).
fn cell(s: &str) -> Option<(f64, f64)> {
    let (ns, entries) = s.trim().split_once(" ns, ")?;
    Some((ns.parse().ok()?, entries.parse().ok()?))
}

#[test]
fn quick_mode_produces_every_figure_in_every_column() {
    let run = script("bench", &["--quick"], Duration::from_secs(2400));
    let ctx = format!("scripts/bench --quick:\n{}", run.output);
    assert_eq!(run.status, Some(0), "scripts/bench did not exit 0: {ctx}");
    // The first table: "figure | cell | cell | cell | cell".
    let table: Vec<&str> = run
        .output
        .lines()
        .skip_while(|l| !l.starts_with("mean guest virtual time"))
        .skip(3)
        .take(FIGURES.len())
        .collect();
    assert_eq!(table.len(), FIGURES.len(), "no table of figures: {ctx}");
    for (line, fig) in table.iter().zip(FIGURES) {
        let cols: Vec<&str> = line.split('|').map(str::trim).collect();
        assert_eq!(cols[0], fig, "rows out of order: {ctx}");
        assert_eq!(
            cols.len(),
            1 + COLUMNS,
            "{fig}: not {COLUMNS} columns: {ctx}"
        );
        for c in &cols[1..] {
            let (ns, entries) =
                cell(c).unwrap_or_else(|| panic!("{fig}: cell '{c}' is not 'T ns, E': {ctx}"));
            assert!(
                ns > 0.0 && entries > 0.0,
                "{fig}: empty figure '{c}': {ctx}"
            );
            if fig == "hvc" || fig == "eoi" {
                assert_eq!(entries, 1.0, "{fig} is one hypercall, not '{c}': {ctx}");
            }
        }
    }
    assert!(!run.has("missing"), "{ctx}");
}

#[test]
fn cells_are_read_as_time_and_entries() {
    assert_eq!(cell(" 202.0 ns, 1.00 "), Some((202.0, 1.0)));
    assert_eq!(cell("missing"), None);
}
