//! Rendered bytes for stdout, held until the run is known to be valid (nothing is printed
//! when any input is invalid): in memory up to [`MEMORY_BYTES`], then in an anonymous
//! temporary file (deleted by the system when the process ends, however it ends), so that
//! memory stays bounded whatever the size of the output. When no temporary file can be
//! created (`$TMPDIR` read-only or missing), the bytes stay in memory, as they always did
//! before the spool existed: a valid run never fails for want of a temporary file.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};

/// Bytes kept in memory before the spool moves to a temporary file.
pub(crate) const MEMORY_BYTES: usize = 2 << 20;

/// The bytes for stdout of a run, in order.
#[derive(Debug)]
pub struct Spool {
    /// Creates the temporary file (`tempfile::tempfile`; a stand-in in tests).
    temp: fn() -> io::Result<File>,
    memory: Vec<u8>,
    file: Option<File>,
    /// Bytes in `file`.
    spilled: u64,
    /// No temporary file could be created: everything stays in memory.
    memory_only: bool,
    /// Bytes that go at a place reached earlier (`insert`), in increasing order of place.
    inserts: Vec<(u64, Vec<u8>)>,
    /// The first failure to spool; the run reports it instead of printing.
    error: Option<io::Error>,
}

impl Default for Spool {
    fn default() -> Self {
        Self {
            temp: tempfile::tempfile,
            memory: Vec::new(),
            file: None,
            spilled: 0,
            memory_only: false,
            inserts: Vec::new(),
            error: None,
        }
    }
}

impl Spool {
    /// Bytes spooled so far (without the inserts): a place for [`Spool::insert`].
    pub(crate) fn len(&self) -> u64 {
        self.spilled + self.memory.len() as u64
    }

    /// Appends `bytes`.
    pub(crate) fn write(&mut self, bytes: &[u8]) {
        if self.error.is_some() {
            return;
        }
        self.memory.extend_from_slice(bytes);
        if self.memory.len() >= MEMORY_BYTES
            && !self.memory_only
            && let Err(e) = self.spill()
        {
            self.error = Some(e);
            self.memory = Vec::new();
        }
    }

    fn spill(&mut self) -> io::Result<()> {
        if self.file.is_none() {
            let Ok(file) = (self.temp)() else {
                self.memory_only = true;
                return Ok(());
            };
            self.file = Some(file);
        }
        let file = self.file.as_mut().expect("created above");
        file.write_all(&self.memory)?;
        self.spilled += self.memory.len() as u64;
        self.memory.clear();
        Ok(())
    }

    /// Puts `bytes` at place `at` (a [`Spool::len`] of before), after what earlier inserts
    /// put there.
    pub(crate) fn insert(&mut self, at: u64, bytes: Vec<u8>) {
        self.inserts.push((at, bytes));
    }

    /// The failure to spool, if any.
    pub(crate) fn error(&self) -> Option<&io::Error> {
        self.error.as_ref()
    }

    /// Whether the bytes moved to a temporary file (else they are all in memory).
    pub(crate) fn spilled(&self) -> bool {
        self.file.is_some()
    }

    /// Writes every byte, in order, to `out`.
    pub(crate) fn copy_to(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut buffer = vec![0; 256 << 10];
        if let Some(mut f) = self.file.as_ref() {
            f.seek(SeekFrom::Start(0))?;
        }
        let total = self.len();
        let mut at = 0;
        for (place, bytes) in &self.inserts {
            let place = (*place).min(total);
            if place > at {
                self.copy_range(at, place, out, &mut buffer)?;
                at = place;
            }
            out.write_all(bytes)?;
        }
        self.copy_range(at, total, out, &mut buffer)
    }

    /// Writes the spooled bytes `from..to` (the file is read in order, from where the
    /// previous call stopped).
    fn copy_range(
        &self,
        mut from: u64,
        to: u64,
        out: &mut dyn Write,
        buffer: &mut [u8],
    ) -> io::Result<()> {
        while from < to.min(self.spilled) {
            let mut file = self.file.as_ref().expect("spilled bytes are in the file");
            let want = (to.min(self.spilled) - from).min(buffer.len() as u64);
            let want = usize::try_from(want).unwrap_or(buffer.len());
            let n = file.read(&mut buffer[..want])?;
            if n == 0 {
                return Err(io::Error::from(io::ErrorKind::UnexpectedEof));
            }
            out.write_all(&buffer[..n])?;
            from += n as u64;
        }
        if from < to {
            let start = usize::try_from(from - self.spilled).unwrap_or(usize::MAX);
            let end = usize::try_from(to - self.spilled).unwrap_or(usize::MAX);
            out.write_all(&self.memory[start..end])?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copied(spool: &Spool) -> Vec<u8> {
        let mut out = Vec::new();
        spool.copy_to(&mut out).unwrap();
        out
    }

    #[test]
    fn stays_in_memory_when_no_temporary_file_can_be_made() {
        let mut spool = Spool {
            temp: || Err(io::Error::other("read-only file system")),
            ..Spool::default()
        };
        let chunk = vec![b'x'; MEMORY_BYTES / 2 + 1];
        for _ in 0..3 {
            spool.write(&chunk);
        }
        assert!(spool.error().is_none());
        assert!(!spool.spilled());
        assert_eq!(copied(&spool), chunk.repeat(3));
    }

    #[test]
    fn keeps_order_in_memory_and_in_the_file_with_inserts() {
        for spill_every in [None, Some(3usize)] {
            let mut spool = Spool::default();
            let mut expected = Vec::new();
            let mut places = Vec::new();
            for i in 0..50u8 {
                let chunk = vec![b'a' + i % 26; usize::from(i % 7) + 1];
                if i % 10 == 0 {
                    places.push((spool.len(), expected.len()));
                }
                spool.write(&chunk);
                expected.extend_from_slice(&chunk);
                if spill_every.is_some_and(|n| usize::from(i) % n == 0) {
                    spool.spill().unwrap();
                }
            }
            // Inserts at marks taken earlier, in increasing order.
            let mut shift = 0;
            for (k, (place, index)) in places.iter().enumerate() {
                let bytes = format!("<{k}>").into_bytes();
                spool.insert(*place, bytes.clone());
                let at = index + shift;
                expected.splice(at..at, bytes.iter().copied());
                shift += bytes.len();
            }
            let end = spool.len();
            spool.insert(end, b"<end>".to_vec());
            expected.extend_from_slice(b"<end>");
            assert_eq!(copied(&spool), expected, "spill every {spill_every:?}");
            // A second copy gives the same bytes (the file is read from its start).
            assert_eq!(copied(&spool), expected);
        }
    }

    #[test]
    fn moves_to_a_file_past_the_memory_cap() {
        let mut spool = Spool::default();
        let chunk = vec![b'x'; 1 << 20];
        for _ in 0..(MEMORY_BYTES >> 20) + 2 {
            spool.write(&chunk);
        }
        assert!(spool.file.is_some() && spool.memory.len() < MEMORY_BYTES);
        assert_eq!(copied(&spool).len() as u64, spool.len());
        assert!(spool.error().is_none());
    }
}
