//! The API key: a secret in `{data-dir}/APIKEY.txt`, made on first start, compared in constant
//! time. A store that nodes share (PostgreSQL) keeps the key instead, so that every node has
//! the same; each node still writes it to its `APIKEY.txt`, where an operator looks for it.

use std::io::Write;
use std::path::{Path, PathBuf};

use subtle::ConstantTimeEq;

/// The name of the shared setting that holds the key.
pub const SETTING: &str = "api_key";

#[derive(Debug, thiserror::Error)]
pub enum ApiKeyError {
    #[error(transparent)]
    Store(#[from] ypad_store::StoreError),
    #[error(transparent)]
    File(#[from] std::io::Error),
}

/// The key: the store's shared one if it keeps one, written to `APIKEY.txt` when the file
/// differs; otherwise the file's, made on first start.
pub fn shared(
    store: &dyn ypad_store::Store,
    data_dir: &Path,
) -> Result<(String, PathBuf), ApiKeyError> {
    let path = data_dir.join("APIKEY.txt");
    // A key already in the file is this node's candidate, so a node moved onto a fresh
    // database keeps the key its clients know.
    let candidate = read(&path)?.unwrap_or_else(new_key);
    match store.shared_setting(SETTING, &candidate)? {
        Some(key) => {
            if read(&path)?.as_deref() != Some(key.as_str()) {
                write(data_dir, &path, &key)?;
            }
            Ok((key, path))
        }
        None => Ok(load_or_create(data_dir)?),
    }
}

/// Reads the key, or writes a new 64-hex-character one if the file is missing or empty.
pub fn load_or_create(data_dir: &Path) -> std::io::Result<(String, PathBuf)> {
    let path = data_dir.join("APIKEY.txt");
    if let Some(key) = read(&path)? {
        return Ok((key, path));
    }
    let key = new_key();
    write(data_dir, &path, &key)?;
    Ok((key, path))
}

/// The file's key, if it holds one.
fn read(path: &Path) -> std::io::Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(key) if !key.trim().is_empty() => Ok(Some(key.trim().to_owned())),
        Ok(_) => Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

fn write(data_dir: &Path, path: &Path, key: &str) -> std::io::Result<()> {
    std::fs::create_dir_all(data_dir)?;
    let mut file = std::fs::File::create(path)?;
    file.write_all(key.as_bytes())?;
    file.sync_all()
}

/// A new key: 64 hexadecimal characters.
pub fn new_key() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

pub fn matches(expected: &str, given: &str) -> bool {
    bool::from(expected.trim().as_bytes().ct_eq(given.trim().as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_once_then_read() {
        let dir = tempfile::tempdir().unwrap();
        let (key, path) = load_or_create(dir.path()).unwrap();
        assert_eq!(key.len(), 64);
        assert!(key.chars().all(|c| c.is_ascii_hexdigit()));
        std::fs::write(&path, format!("  {key}\n")).unwrap();
        assert_eq!(load_or_create(dir.path()).unwrap().0, key);
        assert!(matches(&key, &key));
        assert!(!matches(&key, &key[1..]));
        assert!(!matches(&key, ""));
    }

    #[test]
    fn node_local_store_keeps_the_file_key() {
        let dir = tempfile::tempdir().unwrap();
        let store = ypad_store::SledStore::open(dir.path().join("db")).unwrap();
        std::fs::write(dir.path().join("APIKEY.txt"), "edited-by-hand\n").unwrap();
        assert_eq!(shared(&store, dir.path()).unwrap().0, "edited-by-hand");
    }

    #[test]
    fn shared_key_is_the_first_nodes_and_written_to_each_file() {
        let url = ypad_store::pg_testing::fresh_database();
        let store = ypad_store::PgStore::open(&url).unwrap();
        let (first, second) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        std::fs::write(first.path().join("APIKEY.txt"), "the-first-nodes-key").unwrap();
        let (key, _) = shared(&store, first.path()).unwrap();
        assert_eq!(key, "the-first-nodes-key");
        // The second node's own old key loses to the shared one, which replaces it on disk.
        std::fs::write(second.path().join("APIKEY.txt"), "stale").unwrap();
        let (key, path) = shared(&store, second.path()).unwrap();
        assert_eq!(key, "the-first-nodes-key");
        assert_eq!(
            std::fs::read_to_string(path).unwrap(),
            "the-first-nodes-key"
        );
    }
}
