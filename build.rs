//! Links the `hivemind` command as a position-dependent executable on Linux.
//!
//! A hook is one short process per agent event, so start-up is most of its cost. A
//! position-independent executable of this size carries tens of thousands of dynamic
//! relocations that the loader applies (touching and copying every page they land on)
//! before `main`; linked position-dependent, the linker resolves them once. Measured
//! with `hivemind --version`: see BENCHMARKS.md ("Hook latency"). The trade-off is
//! that the executable's own code is not placed at a random address (libraries and the
//! stack still are); set `HIVEMIND_PIE=1` when building to keep a PIE.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=HIVEMIND_PIE");
    let target = std::env::var("TARGET").unwrap_or_default();
    let keep_pie = std::env::var("HIVEMIND_PIE").is_ok_and(|v| v == "1");
    if target.contains("linux") && !keep_pie {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
