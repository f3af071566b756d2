//! Where the data directory is: `--data-dir`, then `KINTSUGI_DATA_DIR`, then the system default.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::StoreError;

/// Environment variable that overrides the default data directory.
pub const DATA_DIR_ENV: &str = "KINTSUGI_DATA_DIR";

/// The platform's data directory for Kintsugi (e.g. `~/.local/share/kintsugi` on Linux), or
/// None when the system reports no home directory.
pub fn default_data_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("org", "Kintsugi", "Kintsugi")
        .map(|d| d.data_dir().to_path_buf())
}

/// Resolves --data-dir flag > KINTSUGI_DATA_DIR env > default_data_dir().
///
/// An empty flag or variable counts as absent. The result is made absolute (against the current
/// directory) so that messages and logs name an unambiguous path.
pub fn resolve_data_dir(flag: Option<&Path>) -> Result<PathBuf, StoreError> {
    resolve_from(flag, std::env::var_os(DATA_DIR_ENV), default_data_dir)
}

/// The precedence rule, without reading the process environment (so tests need not mutate it).
pub(crate) fn resolve_from(
    flag: Option<&Path>,
    env: Option<OsString>,
    default: impl FnOnce() -> Option<PathBuf>,
) -> Result<PathBuf, StoreError> {
    let chosen = flag
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .or_else(|| env.filter(|v| !v.is_empty()).map(PathBuf::from))
        .or_else(default)
        .ok_or(StoreError::NoDataDir)?;
    std::path::absolute(&chosen).map_err(|e| StoreError::io(&chosen, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn default() -> Option<PathBuf> {
        Some(PathBuf::from("/default"))
    }

    #[test]
    fn flag_beats_env_beats_default() {
        let flag = Path::new("/flag");
        let env = || Some(OsString::from("/env"));
        assert_eq!(resolve_from(Some(flag), env(), default).unwrap(), flag);
        assert_eq!(
            resolve_from(None, env(), default).unwrap(),
            Path::new("/env")
        );
        assert_eq!(
            resolve_from(None, None, default).unwrap(),
            Path::new("/default")
        );
    }

    #[test]
    fn empty_values_count_as_absent() {
        let empty = Some(Path::new(""));
        assert_eq!(
            resolve_from(empty, Some(OsString::new()), default).unwrap(),
            Path::new("/default")
        );
        assert_eq!(
            resolve_from(empty, Some(OsString::from("/env")), default).unwrap(),
            Path::new("/env")
        );
    }

    #[test]
    fn no_directory_at_all_is_an_error() {
        let err = resolve_from(None, None, || None).unwrap_err();
        assert!(matches!(err, StoreError::NoDataDir), "{err:?}");
    }

    #[test]
    fn relative_paths_become_absolute() {
        let got = resolve_from(Some(Path::new("rel/dir")), None, default).unwrap();
        assert!(got.is_absolute(), "{got:?}");
        assert!(got.ends_with("rel/dir"), "{got:?}");
    }

    #[test]
    fn public_resolver_prefers_the_flag_over_anything_in_the_environment() {
        let got = resolve_data_dir(Some(Path::new("/from/flag"))).unwrap();
        assert_eq!(got, Path::new("/from/flag"));
    }
}
