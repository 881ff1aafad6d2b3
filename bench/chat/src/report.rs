//! The result table: one row per figure, with its target, what was measured, whether the target was
//! met, and the engine; correctness failures are collected apart and decide the exit status.
pub enum Met {
    Yes,
    No,
    /// No target: a figure shown for context.
    Info,
}

pub struct Row {
    pub figure: String,
    pub target: String,
    pub measured: String,
    pub met: Met,
    pub detail: String,
}

#[derive(Default)]
pub struct Report {
    pub rows: Vec<Row>,
    pub notes: Vec<String>,
    /// Loss, duplicates, disorder, acknowledged messages not stored: the run failed.
    pub failures: Vec<String>,
    /// A phase that could not run to the end (an error, not a measurement).
    pub errors: Vec<String>,
}

impl Report {
    pub fn row(&mut self, figure: &str, target: &str, measured: String, met: Met, detail: String) {
        let mark = match met {
            Met::Yes => "met",
            Met::No => "MISSED",
            Met::Info => "-",
        };
        // Printed as soon as measured, so a long run shows progress.
        eprintln!("  {figure}: {measured} [{mark}]  ({detail})");
        self.rows.push(Row {
            figure: figure.to_owned(),
            target: target.to_owned(),
            measured,
            met,
            detail,
        });
    }

    pub fn fail(&mut self, what: String) {
        eprintln!("  CORRECTNESS FAILURE: {what}");
        self.failures.push(what);
    }

    pub fn error(&mut self, phase: &str, e: &anyhow::Error) {
        eprintln!("  {phase} could not finish: {e:#}");
        self.rows.push(Row {
            figure: format!("{phase}: ERROR"),
            target: String::new(),
            measured: "error".into(),
            met: Met::No,
            detail: format!("{e:#}"),
        });
        self.errors.push(format!("{phase}: {e:#}"));
    }

    pub fn print(&self, title: &str, engine: &str) {
        println!();
        println!("{title}");
        println!();
        let headers = ["figure", "target", "measured", "met?", "engine", "detail"];
        let cells: Vec<[String; 6]> = self
            .rows
            .iter()
            .map(|r| {
                let met = match r.met {
                    Met::Yes => "yes",
                    Met::No => "NO",
                    Met::Info => "-",
                };
                [
                    r.figure.clone(),
                    r.target.clone(),
                    r.measured.clone(),
                    met.to_owned(),
                    engine.to_owned(),
                    r.detail.clone(),
                ]
            })
            .collect();
        let width = |i: usize| {
            cells
                .iter()
                .map(|c| c[i].chars().count())
                .chain([headers[i].len()])
                .max()
                .unwrap_or(0)
        };
        let w: Vec<usize> = (0..5).map(width).collect();
        let pad = |s: &str, n: usize| {
            let len = s.chars().count();
            format!("{s}{}", " ".repeat(n.saturating_sub(len)))
        };
        let line = |c: [&str; 6]| {
            println!(
                "| {} | {} | {} | {} | {} | {} |",
                pad(c[0], w[0]),
                pad(c[1], w[1]),
                pad(c[2], w[2]),
                pad(c[3], w[3]),
                pad(c[4], w[4]),
                c[5]
            );
        };
        line(headers);
        println!(
            "|{}|{}|{}|{}|{}|---|",
            "-".repeat(w[0] + 2),
            "-".repeat(w[1] + 2),
            "-".repeat(w[2] + 2),
            "-".repeat(w[3] + 2),
            "-".repeat(w[4] + 2)
        );
        for c in &cells {
            line([&c[0], &c[1], &c[2], &c[3], &c[4], &c[5]]);
        }
        println!();
        if self.failures.is_empty() {
            println!(
                "Correctness: no loss, no duplicate, no disorder, every acknowledged message stored."
            );
        } else {
            println!("CORRECTNESS FAILURES ({}):", self.failures.len());
            for f in &self.failures {
                println!("- {f}");
            }
        }
        if !self.notes.is_empty() {
            println!();
            for n in &self.notes {
                println!("- {n}");
            }
        }
    }
}
