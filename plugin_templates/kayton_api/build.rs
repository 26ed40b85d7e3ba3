//! Sets `--cfg kayton_backtrace` when the compiler has std::backtrace
//! (Rust 1.65 and later), for the panic reports of `catch` (src/lib.rs).
//! A cell that compiles this crate in as a module gets the same cfg from
//! rimport itself.
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let out = match Command::new(rustc).arg("--version").output() {
        Ok(out) => out,
        Err(_) => return,
    };
    // "rustc 1.95.0 (…)"
    let text = String::from_utf8_lossy(&out.stdout);
    let minor = text
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.split('.').nth(1))
        .and_then(|m| m.parse::<u32>().ok());
    if let Some(minor) = minor {
        if minor >= 65 {
            println!("cargo:rustc-cfg=kayton_backtrace");
        }
    }
}
