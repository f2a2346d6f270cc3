//! The `sim` command: everything lives in the library; see `sim::cli`.

use std::process::ExitCode;

fn main() -> ExitCode {
    // A panic is a bug in sim, never the user's input: say so, and exit 1
    // (the panic message above it says where).
    match std::panic::catch_unwind(sim::cli::main) {
        Ok(code) => code,
        Err(_) => {
            let _ = std::io::Write::write_all(
                &mut std::io::stderr(),
                b"internal error: sim stopped on a bug; please report it with the command that caused it\n",
            );
            ExitCode::from(1)
        }
    }
}
