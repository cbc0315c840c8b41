use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    if args.next().as_deref() == Some("import") {
        return venafi_compat::import::main(args.collect());
    }
    grant_http::run_main::<venafi_compat::Venafi>()
}
