//! The `hivemind` command: a thin edge over `hivemind-core`.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
