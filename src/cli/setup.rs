//! `install`, `uninstall`, `status`: format what hivemind-core's setup module decides.

use anyhow::{bail, Result};
use hivemind_core::{Config, Hivemind};

pub fn install(_config: &Config, host: &str, _project: bool, _global: bool) -> Result<()> {
    bail!("install {host}: not built yet")
}

pub fn uninstall(_config: &Config, host: &str, _project: bool, _global: bool) -> Result<()> {
    bail!("uninstall {host}: not built yet")
}

pub fn status(_hm: &Hivemind, _json: bool) -> Result<()> {
    bail!("status: not built yet")
}
