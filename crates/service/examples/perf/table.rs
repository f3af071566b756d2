//! One row per figure, the 1-year and 10-year values side by side, each next to its goal.

use std::fmt::Write as _;

/// One measured figure for one data set.
pub struct Measure {
    pub what: &'static str,
    pub goal: &'static str,
    pub value: String,
    /// Whether the goal is met; `None` for a figure without a goal (bare automerge, sizes).
    pub met: Option<bool>,
}

impl Measure {
    pub fn new(what: &'static str, goal: &'static str, value: String, met: Option<bool>) -> Self {
        Measure {
            what,
            goal,
            value,
            met,
        }
    }

    /// A figure with no goal of its own (printed for comparison).
    pub fn info(what: &'static str, value: String) -> Self {
        Measure::new(what, "", value, None)
    }
}

/// Rows zipped by `what` across the data sets, in the order they first appear.
pub fn render(columns: &[(&str, Vec<Measure>)]) -> String {
    let mut order: Vec<(&'static str, &'static str)> = Vec::new();
    for (_, rows) in columns {
        for m in rows {
            if !order.iter().any(|(w, _)| *w == m.what) {
                order.push((m.what, m.goal));
            } else if let Some(o) = order.iter_mut().find(|(w, g)| *w == m.what && g.is_empty()) {
                o.1 = m.goal;
            }
        }
    }
    let cell = |col: &[Measure], what: &str| -> String {
        col.iter().find(|m| m.what == what).map_or_else(
            || "-".to_string(),
            |m| {
                let mark = match m.met {
                    Some(true) => " ✓",
                    Some(false) => " ✗",
                    None => "",
                };
                format!("{}{mark}", m.value)
            },
        )
    };
    let mut grid: Vec<Vec<String>> = vec![
        std::iter::once("figure".to_string())
            .chain(std::iter::once("goal".to_string()))
            .chain(columns.iter().map(|(name, _)| name.to_string()))
            .collect(),
    ];
    for (what, goal) in &order {
        let mut row = vec![what.to_string(), goal.to_string()];
        row.extend(columns.iter().map(|(_, rows)| cell(rows, what)));
        grid.push(row);
    }
    let widths: Vec<usize> = (0..grid[0].len())
        .map(|i| grid.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for (n, row) in grid.iter().enumerate() {
        out.push('|');
        for (c, w) in row.iter().zip(&widths) {
            let pad = w - c.chars().count();
            let _ = write!(out, " {c}{} |", " ".repeat(pad));
        }
        out.push('\n');
        if n == 0 {
            out.push('|');
            for w in &widths {
                let _ = write!(out, "{}|", "-".repeat(w + 2));
            }
            out.push('\n');
        }
    }
    out
}

/// Milliseconds with a precision that suits their size.
pub fn ms(v: f64) -> String {
    if v < 10.0 {
        format!("{v:.2} ms")
    } else if v < 1000.0 {
        format!("{v:.1} ms")
    } else {
        format!("{:.2} s", v / 1000.0)
    }
}

pub fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / 1048576.0)
}

/// The `p` quantile (0..1) of durations, in milliseconds.
pub fn pct(v: &mut [std::time::Duration], p: f64) -> f64 {
    v.sort();
    v[((v.len() as f64 * p) as usize).min(v.len() - 1)].as_secs_f64() * 1e3
}
