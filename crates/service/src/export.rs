//! "Export all my data": everything that is mine or shared with me, as JSON and as the raw automerge documents, in one new folder.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use kintsugi_core::{DocKind, Model, View};

use crate::Vault;

/// The JSON file: the whole view as serde writes it (see the README's "Export" section).
pub const DATA_FILE: &str = "kintsugi-data.json";
/// The shared document, as automerge `save()` bytes.
pub const COUPLE_FILE: &str = "couple.automerge";
/// The private document (journal, drafts, self-care, reminders, sealed answers).
pub const PRIVATE_FILE: &str = "private.automerge";
pub const README_FILE: &str = "README.txt";

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// A copy is only ever written into an empty or new folder, so nothing is overwritten.
    #[error("{path} already holds files; choose an empty or new folder")]
    NotEmpty { path: String },
    #[error("{path} is a file, not a folder")]
    NotAFolder { path: String },
    #[error("could not write {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// What a finished "export all" wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportAllSummary {
    pub dir: PathBuf,
    /// Each file and its size in bytes, in the order written.
    pub files: Vec<(String, u64)>,
}

/// Everything "export all" writes, taken from the documents at one moment, so the writing can
/// happen on any thread (the window takes it on the worker and writes it on its own).
#[derive(Clone, Debug)]
pub struct DataCopy {
    pub view: View,
    pub couple: Vec<u8>,
    pub private: Vec<u8>,
}

impl DataCopy {
    pub fn of(model: &Model) -> DataCopy {
        // `save` needs the document mutable (it commits pending operations): save a clone.
        let mut private = model.doc(DocKind::Private).clone();
        DataCopy {
            view: model.view(),
            couple: model.couple_doc().save(),
            private: private.save(),
        }
    }
}

/// Writes everything the vault holds for this partner into `dir` (created if missing; refused
/// if it holds anything). `progress(done, total, file)` is called after each file.
pub fn export_all(
    vault: &Vault,
    dir: &Path,
    progress: &mut dyn FnMut(usize, usize, &str),
) -> Result<ExportAllSummary, ExportError> {
    write_all(&DataCopy::of(vault.model()), dir, progress)
}

/// Writes a [`DataCopy`] into `dir` (see [`export_all`]).
pub fn write_all(
    data: &DataCopy,
    dir: &Path,
    progress: &mut dyn FnMut(usize, usize, &str),
) -> Result<ExportAllSummary, ExportError> {
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| ExportError::Io { path, source }
    };
    if dir.exists() {
        if !dir.is_dir() {
            return Err(ExportError::NotAFolder {
                path: dir.display().to_string(),
            });
        }
        if std::fs::read_dir(dir).map_err(io(dir))?.next().is_some() {
            return Err(ExportError::NotEmpty {
                path: dir.display().to_string(),
            });
        }
    } else {
        let mut folder = std::fs::DirBuilder::new();
        folder.recursive(true);
        // Readable by its owner only, like the files in it, whatever the umask.
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut folder, 0o700);
        folder.create(dir).map_err(io(dir))?;
    }
    let json = serde_json::to_vec_pretty(&data.view).expect("plain data serialises");
    let files: [(&str, &[u8]); 4] = [
        (DATA_FILE, &json),
        (COUPLE_FILE, &data.couple),
        (PRIVATE_FILE, &data.private),
        (README_FILE, README.as_bytes()),
    ];
    let mut summary = ExportAllSummary {
        dir: dir.to_owned(),
        files: Vec::new(),
    };
    progress(0, files.len(), "");
    for (i, (name, bytes)) in files.iter().enumerate() {
        let path = dir.join(name);
        write_new(&path, bytes).map_err(io(&path))?;
        summary.files.push(((*name).to_owned(), bytes.len() as u64));
        progress(i + 1, files.len(), name);
    }
    Ok(summary)
}

/// Creates the file (never over an existing one) and returns only once it is on disk.
fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // The private journal is in here: readable by its owner only.
        opts.mode(0o600);
    }
    let mut f: File = opts.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

const README: &str = "\
This folder is a copy of everything Kintsugi holds for you: what is yours and what your
partner shared with you. It was written by \"Export all my data\".

kintsugi-data.json
    Everything as readable JSON: your private journal, your apology drafts and self-care
    list, your reminder times, and everything shared by the two of you (agreement, check-ins,
    commitments and their logs, disclosures, triggers, the reassurance plan, breaks,
    questions and answers, wins, time together, apologies, therapy topics, shared journal
    entries). Your partner's check-in answers are only in it once you have both answered.
    The top-level keys are described in the Export section of Kintsugi's README.

couple.automerge
    The document you and your partner share, exactly as stored (automerge format). It keeps
    the full history of every change. Any automerge library can load it.

private.automerge
    Your private document, exactly as stored (automerge format): your journal, apology
    drafts, self-care list, reminder times and your sealed check-in answers. It only ever
    travels between your own devices. Keep this folder somewhere safe.
";

#[cfg(test)]
mod tests {
    use super::*;

    fn copy() -> DataCopy {
        DataCopy {
            view: View {
                my_name: "Sam".into(),
                ..View::default()
            },
            couple: vec![1, 2, 3],
            private: vec![4, 5],
        }
    }

    #[test]
    fn writes_four_files_into_a_new_folder_and_refuses_a_full_one() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("copy");
        let mut steps = Vec::new();
        let s = write_all(&copy(), &dir, &mut |d, t, n| {
            steps.push((d, t, n.to_owned()))
        })
        .unwrap();
        assert_eq!(s.files.len(), 4);
        assert_eq!(steps.last().unwrap(), &(4, 4, README_FILE.to_owned()));
        assert_eq!(std::fs::read(dir.join(COUPLE_FILE)).unwrap(), vec![1, 2, 3]);
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join(DATA_FILE)).unwrap()).unwrap();
        assert_eq!(json["my_name"], "Sam");
        let err = write_all(&copy(), &dir, &mut |_, _, _| {}).unwrap_err();
        assert!(matches!(err, ExportError::NotEmpty { .. }), "{err}");
        assert!(err.to_string().contains("choose an empty or new folder"));
        // An empty existing folder is fine.
        let empty = tmp.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        write_all(&copy(), &empty, &mut |_, _, _| {}).unwrap();
    }
}
