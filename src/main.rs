use std::process::ExitCode;

fn main() -> ExitCode {
    unback::cli::main()
}
