fn main() -> std::process::ExitCode {
    qixie::cli::main()
}
