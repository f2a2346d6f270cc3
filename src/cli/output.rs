//! Where reports go: standard output (a closed pipe ends quietly, a full
//! disk is an error), or a file given with `-o`, written so that nothing the
//! user gave is lost: never over a scenario file of the run or any other
//! `.toml` file; atomically (a temporary file renamed over) for a regular
//! file or a new path; straight through to a device, a pipe, or a
//! symlink's target.

use super::Failure;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `text` to standard output. A reader that went away (a closed
/// pipe, `| head`) is not an error.
pub fn stdout(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::Output(format!("cannot write to standard output: {e}"))),
    }
}

/// Writes to standard error, ignoring failures (there is nowhere left to say so).
pub fn stderr(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// Writes `text` to standard output or to `output`; `inputs` are every
/// file the run read, which are never written over.
pub fn emit<'a>(text: &str, output: Option<&Path>, inputs: impl IntoIterator<Item = &'a Path>) -> Result<(), Failure> {
    let Some(path) = output else {
        return stdout(text);
    };
    let refuse = |why: String| {
        Failure::Input(format!(
            "error: refusing to write the report over `{}`: {why}\n",
            path.display()
        ))
    };
    // Where the bytes would land: a symlink's target, followed.
    let target: PathBuf = match std::fs::canonicalize(path) {
        Ok(t) => t,
        Err(_) => match std::fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_symlink() => {
                let link = std::fs::read_link(path).map_err(|e| refuse(e.to_string()))?;
                path.parent().unwrap_or(Path::new(".")).join(link)
            }
            _ => path.to_path_buf(),
        },
    };
    if inputs
        .into_iter()
        .any(|i| std::fs::canonicalize(i).is_ok_and(|c| c == target))
    {
        return Err(refuse("it is a scenario file of this run".into()));
    }
    let meta = std::fs::metadata(&target).ok();
    let is_toml = target.extension().is_some_and(|e| e.eq_ignore_ascii_case("toml"));
    if is_toml && meta.as_ref().is_some_and(|m| m.is_file()) {
        return Err(refuse(
            "it is an existing .toml file (a scenario?); choose another name".into(),
        ));
    }
    let fail = |e: std::io::Error| Failure::Output(format!("cannot write `{}`: {e}", path.display()));
    match meta {
        // A device, a pipe or a socket: write straight through.
        Some(m) if !m.is_file() && !m.is_dir() => {
            let mut f = std::fs::OpenOptions::new().write(true).open(&target).map_err(fail)?;
            match f.write_all(text.as_bytes()).and_then(|()| f.flush()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                r => r.map_err(fail),
            }
        }
        Some(m) if m.is_dir() => Err(refuse("it is a directory".into())),
        // A regular file or a new path: a temporary file beside it, renamed over.
        _ => {
            let dir = target
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let name = target
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "report".into());
            let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
            let written = std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, &target));
            written.map_err(|e| {
                let _ = std::fs::remove_file(&tmp);
                fail(e)
            })
        }
    }
}
