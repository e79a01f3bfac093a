//! Local state kept outside the database: the data directory (created 0700, so the database
//! and keys in it are the owner's alone) and the audit chain's key (a 0600 file in it, or a
//! secret from the environment or a file a container mounts).

use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context};
use partnerhub_domain::audit::{ChainKey, KEY_BYTES};
use partnerhub_store::Store;
use rand::RngCore;

use crate::config::{AuditKeySource, Settings};

/// Creates the data directory readable by its owner only, or narrows an existing one to that.
pub fn prepare_data_dir(dir: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("creating data directory {}", dir.display()))?;
        let mode = std::fs::metadata(dir)?.permissions().mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .with_context(|| format!("restricting data directory {}", dir.display()))?;
        }
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir)
        .with_context(|| format!("creating data directory {}", dir.display()))?;
    Ok(())
}

fn read_key_file(path: &Path) -> anyhow::Result<Option<ChainKey>> {
    match std::fs::read_to_string(path) {
        Ok(text) => ChainKey::parse(&text)
            .map(Some)
            .map_err(|e| anyhow::anyhow!("audit key file {}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading audit key file {}", path.display())),
    }
}

/// The audit key, if one is configured or present; `None` when the data directory has none yet.
pub fn load_audit_key(settings: &Settings) -> anyhow::Result<Option<ChainKey>> {
    match &settings.audit_key {
        AuditKeySource::Value(hex) => ChainKey::parse(hex)
            .map(Some)
            .map_err(|e| anyhow::anyhow!("PARTNERHUB_AUDIT_KEY: {e}")),
        AuditKeySource::File(path) => match read_key_file(path)? {
            Some(key) => Ok(Some(key)),
            None => bail!("audit_key_file: {} does not exist", path.display()),
        },
        AuditKeySource::DataDir(path) => read_key_file(path),
    }
}

/// The audit key to chain with: the configured one, or the data directory's, created (0600)
/// when the database's chain is not keyed yet. A keyed chain whose key is missing is refused:
/// a new key would make every later row fail to verify.
pub async fn audit_key(settings: &Settings, store: &Store) -> anyhow::Result<ChainKey> {
    if let Some(key) = load_audit_key(settings)? {
        return Ok(key);
    }
    // A configured key that is missing was refused by `load_audit_key`.
    let AuditKeySource::DataDir(path) = &settings.audit_key else {
        bail!("the audit key source is neither set nor in the data directory")
    };
    if let Some(id) = store.chain_key_id().await? {
        bail!(
            "the audit chain is keyed with key {id}, but no key was found at {}: restore that \
             file, or set PARTNERHUB_AUDIT_KEY or audit_key_file",
            path.display()
        );
    }
    let mut bytes = [0u8; KEY_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let key = ChainKey::from_bytes(bytes);
    write_new_key(path, &key)?;
    Ok(key)
}

/// Writes a new key file that only its owner may read; an existing file is never replaced.
fn write_new_key(path: &Path, key: &ChainKey) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        prepare_data_dir(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("creating audit key file {}", path.display()))?;
    writeln!(file, "{}", key.to_hex())?;
    file.sync_all()?;
    Ok(())
}
