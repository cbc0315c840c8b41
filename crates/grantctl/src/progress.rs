//! Progress of long transfers (export, import) on stderr: a bar with rate and ETA, shown only
//! when stderr is a terminal, so scripts that read the output see nothing extra.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Whether a bar would be seen (stderr is a terminal).
pub fn wanted() -> bool {
    std::io::stderr().is_terminal()
}

fn bar(total: Option<u64>, template: &str) -> ProgressBar {
    if !wanted() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// Bytes read of a file of `size` bytes (None: unknown, as for stdin).
pub fn bytes(size: Option<u64>, what: &str) -> ProgressBar {
    let template = match size {
        Some(_) => {
            format!("{what} [{{bar:30}}] {{bytes}}/{{total_bytes}} {{bytes_per_sec}} ETA {{eta}}")
        }
        None => format!("{what} {{bytes}} {{bytes_per_sec}} {{elapsed}}"),
    };
    bar(size, &template)
}

/// Records written of `total`.
pub fn records(total: Option<u64>, what: &str) -> ProgressBar {
    let template = match total {
        Some(_) => format!(
            "{what} [{{bar:30}}] {{human_pos}}/{{human_len}} records {{per_sec}} ETA {{eta}}"
        ),
        None => format!("{what} {{human_pos}} records {{per_sec}} {{elapsed}}"),
    };
    bar(total, &template)
}
