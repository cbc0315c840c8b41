//! placeholder
pub fn main(_args: Vec<String>) -> std::process::ExitCode {
    std::process::ExitCode::FAILURE
}
