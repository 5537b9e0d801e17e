//! deploy/install.sh, staged into a temporary DESTDIR: it installs binary, unit and default
//! config; a second run changes nothing an operator edited (idempotent); and the unit it
//! installs points at the installed binary and config. The exposure gate
//! (`systemd-analyze security --offline=yes --threshold=20`) runs in CI, not here.

use std::path::Path;
use std::process::Command;

fn install(destdir: &Path, prefix: &str) {
    let status = Command::new("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/install.sh"))
        .env("DESTDIR", destdir)
        .env("PREFIX", prefix)
        .env("BIN", env!("CARGO_BIN_EXE_aiwire"))
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn install_is_idempotent_and_keeps_an_edited_config() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    install(root, "/opt/aiwire");
    let config = root.join("etc/aiwire/aiwire.toml");
    let unit = std::fs::read_to_string(root.join("etc/systemd/system/aiwire.service")).unwrap();
    assert!(root.join("opt/aiwire/bin/aiwire").is_file());
    assert!(
        unit.contains("ExecStart=/opt/aiwire/bin/aiwire run --config /etc/aiwire/aiwire.toml"),
        "{unit}"
    );
    assert!(unit.contains("Type=notify") && unit.contains("WatchdogSec="));

    let edited = format!(
        "{}\n# edited by the operator\n",
        std::fs::read_to_string(&config).unwrap()
    );
    std::fs::write(&config, &edited).unwrap();
    install(root, "/opt/aiwire");
    assert_eq!(std::fs::read_to_string(&config).unwrap(), edited);
    assert!(root.join("etc/aiwire/aiwire.toml.dist").is_file());
    let again = std::fs::read_to_string(root.join("etc/systemd/system/aiwire.service")).unwrap();
    assert_eq!(unit, again);
}
