//! How SQLite processes sharing a database file tell each other's live push which users changed: every sign-in,
//! ending and trail entry appends the user's id (a JSON string on a line; `*` for "perhaps anyone") to
//! `<database>-changes`, and each process following users reads what was appended, ten times a second. (A place the
//! geolocation worker fills in is not announced: another process's open page shows it with its next activity read.)
//!
//! A reader that misses both a start-over and more than its offset's worth of new lines between two polls (64 KiB of
//! changes within 100 ms) misses those lines; it never misses a start-over it can see.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// How often a process looks for other processes' changes: the cross-process part of the push latency.
const POLL: Duration = Duration::from_millis(100);
/// Writers start the file over past this length; a reader that finds it shorter than it read refreshes everyone.
const START_OVER: u64 = 64 * 1024;

#[derive(Clone, Debug)]
pub(crate) struct ChangesFile {
    path: Arc<PathBuf>,
}

impl ChangesFile {
    /// The file beside `database` (created now, so readers can open it); `None` when it cannot be written.
    pub(crate) fn beside(database: &str) -> Option<Self> {
        let path = PathBuf::from(format!("{database}-changes"));
        match std::fs::OpenOptions::new().create(true).append(true).open(&path) {
            Ok(_) => Some(Self { path: Arc::new(path) }),
            Err(err) => {
                tracing::warn!(error = %err, path = %path.display(), "no changes file; other processes' changes reach open pages on their next request");
                None
            }
        }
    }

    /// Appends the users (`None`: perhaps anyone). One `write` per call: appends that small are not interleaved.
    pub(crate) fn tell<'a>(&self, users: impl IntoIterator<Item = Option<&'a str>>) {
        let mut lines = String::new();
        for user in users {
            match user {
                Some(user) => lines.push_str(&serde_json::Value::from(user).to_string()),
                None => lines.push('*'),
            }
            lines.push('\n');
        }
        if lines.is_empty() {
            return;
        }
        let append = || -> std::io::Result<()> {
            let mut file = std::fs::OpenOptions::new().create(true).append(true).open(self.path.as_path())?;
            if file.metadata()?.len() >= START_OVER {
                file.set_len(0)?;
            }
            file.write_all(lines.as_bytes())
        };
        if let Err(err) = append() {
            tracing::warn!(error = %err, path = %self.path.display(), "could not announce a change to other processes");
        }
    }

    /// Empties the file and says "perhaps anyone": after an erasure no user id may stay on disk (readers find the
    /// file shorter than they read and look at everyone they follow).
    pub(crate) fn forget_all(&self) {
        let start_over = || -> std::io::Result<()> {
            let file = std::fs::OpenOptions::new().create(true).append(true).open(self.path.as_path())?;
            file.set_len(0)
        };
        if let Err(err) = start_over() {
            tracing::error!(error = %err, path = %self.path.display(), "could not empty the changes file after an erasure");
        }
        self.tell([None]);
    }

    /// Reports what other processes (and this one) append, from now on, until `on` returns false.
    pub(crate) fn watch(&self, on: super::ChangeListener) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let path = self.path.clone();
        runtime.spawn(async move {
            let mut read_to = std::fs::metadata(path.as_path()).map(|m| m.len()).unwrap_or(0);
            let mut tick = tokio::time::interval(POLL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let (users, now_at) = match read_from(&path, read_to) {
                    Ok(read) => read,
                    Err(err) => {
                        tracing::debug!(error = %err, "cannot read the changes file");
                        continue;
                    }
                };
                read_to = now_at;
                for user in users {
                    if !on(user.as_deref()) {
                        return;
                    }
                }
            }
        });
    }
}

/// The users appended after `offset`, without repeats, and where the next read starts. A file shorter than
/// `offset` was started over: anyone may have changed (`None`).
fn read_from(path: &std::path::Path, offset: u64) -> std::io::Result<(Vec<Option<String>>, u64)> {
    let mut file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    if len == offset {
        return Ok((Vec::new(), offset));
    }
    let (start, mut users) = if len < offset { (0, vec![None]) } else { (offset, Vec::new()) };
    file.seek(SeekFrom::Start(start))?;
    let mut text = Vec::with_capacity((len - start) as usize);
    file.take(len - start).read_to_end(&mut text)?;
    // A line still being written is read next time.
    let complete = text.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    for line in text[..complete].split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let user = match line {
            b"*" => None,
            // Not ours, or torn by a concurrent start-over: look at everyone.
            _ => serde_json::from_slice::<String>(line).ok(),
        };
        if !users.contains(&user) {
            users.push(user);
        }
    }
    Ok((users, start + complete as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_read_once_and_a_start_over_means_anyone() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("s.db");
        let file = ChangesFile::beside(db.to_str().unwrap()).unwrap();
        let path = file.path.as_path();
        file.tell([Some("u1"), Some("u\n2"), Some("u1")]);
        let (users, at) = read_from(path, 0).unwrap();
        assert_eq!(users, vec![Some("u1".to_owned()), Some("u\n2".to_owned())]);
        assert_eq!(read_from(path, at).unwrap().0, Vec::<Option<String>>::new());

        // Half a line is left for the next read.
        std::fs::OpenOptions::new().append(true).open(path).unwrap().write_all(b"\"u3").unwrap();
        let (users, at2) = read_from(path, at).unwrap();
        assert!(users.is_empty());
        assert_eq!(at2, at);
        std::fs::OpenOptions::new().append(true).open(path).unwrap().write_all(b"\"\n").unwrap();
        assert_eq!(read_from(path, at2).unwrap().0, vec![Some("u3".to_owned())]);

        std::fs::write(path, b"").unwrap();
        file.tell([Some("u4")]);
        assert_eq!(read_from(path, at2 + 5).unwrap().0, vec![None, Some("u4".to_owned())]);
    }
}
