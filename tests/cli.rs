//! The command line as a user runs it.
#![cfg(not(target_arch = "wasm32"))]

use std::process::Command;

fn cachescope(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cachescope"))
        .args(args)
        .output()
        .expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn version_prints_the_package_version() {
    let (code, stdout, _) = cachescope(&["--version"]);
    assert_eq!(code, 0);
    assert_eq!(
        stdout.trim(),
        format!("cachescope {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn help_explains_what_the_tool_is() {
    let (code, stdout, _) = cachescope(&["--help"]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("Simulate caches drifting from their database"),
        "{stdout}"
    );
    assert!(stdout.contains("Usage: cachescope"), "{stdout}");
}

#[test]
fn no_arguments_prints_help_and_exits_with_usage_error() {
    let (code, _, stderr) = cachescope(&[]);
    assert_eq!(code, 2);
    assert!(stderr.contains("Usage: cachescope"), "{stderr}");
}

#[test]
fn an_unknown_argument_is_a_usage_error() {
    let (code, _, stderr) = cachescope(&["--frobnicate"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--frobnicate"), "{stderr}");
}
