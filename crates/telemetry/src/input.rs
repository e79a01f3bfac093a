//! Input files read line by line: plain, gzip or zstd (detected by content), cut into chunks at
//! line ends that worker threads parse in parallel; malformed lines are counted and named.

use std::collections::BTreeSet;
use std::collections::VecDeque;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Condvar, Mutex};

/// Bytes handed to a worker at a time.
const CHUNK: usize = 4 << 20;
/// Malformed lines named in a report; the rest are counted.
pub const NAMED_BAD_LINES: usize = 20;

/// An input file that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("cannot read {path}: {cause}")]
    Read { path: PathBuf, cause: io::Error },
    #[error("no input files given")]
    NoFiles,
}

/// Why a line was skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed(pub &'static str);

/// Where a line is: file index (in the order given), chunk of that file's bytes (in order) and
/// 1-based line within the chunk. Ordered as the lines are in the input; the reader does not
/// count lines (a pass over every byte), so line numbers are resolved only for reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LineAt {
    pub file: u32,
    pub chunk: u64,
    pub line: u64,
}

/// A consumer of lines, one per worker thread; the workers' results are merged at the end.
pub trait LineSink: Send + Sized {
    fn line(&mut self, line: &[u8], at: LineAt) -> Result<(), Malformed>;
    fn merge(&mut self, other: Self);
}

/// Skipped lines: the first few by position, and how many in all.
#[derive(Debug, Clone, Default)]
pub struct BadLines {
    first: BTreeSet<(LineAt, &'static str)>,
    pub count: u64,
    /// Lines per chunk: (chunk, file, lines), to turn chunk positions into line numbers.
    chunk_lines: Vec<(u64, u32, u64)>,
    files: Vec<PathBuf>,
}

impl BadLines {
    fn record(&mut self, at: LineAt, why: Malformed) {
        self.count += 1;
        self.first.insert((at, why.0));
        if self.first.len() > NAMED_BAD_LINES {
            self.first.pop_last();
        }
    }

    fn merge(&mut self, other: Self) {
        self.count += other.count;
        self.chunk_lines.extend(other.chunk_lines);
        for e in other.first {
            self.first.insert(e);
            if self.first.len() > NAMED_BAD_LINES {
                self.first.pop_last();
            }
        }
    }

    /// Rewrites positions as absolute line numbers (chunk 0) once every chunk is known.
    fn resolve(&mut self) {
        self.chunk_lines.sort_unstable();
        let mut starts = Vec::with_capacity(self.chunk_lines.len());
        let mut previous: Option<(u32, u64, u64)> = None;
        for &(chunk, file, lines) in &self.chunk_lines {
            let start = match previous {
                Some((f, start, n)) if f == file => start + n,
                _ => 1,
            };
            starts.push((chunk, start));
            previous = Some((file, start, lines));
        }
        let first = std::mem::take(&mut self.first);
        for (at, why) in first {
            let start = starts
                .binary_search_by_key(&at.chunk, |e| e.0)
                .map_or(1, |i| starts[i].1);
            let line = LineAt {
                file: at.file,
                chunk: 0,
                line: start + at.line - 1,
            };
            self.first.insert((line, why));
        }
        self.chunk_lines = Vec::new();
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The named lines: (file, line number, reason).
    pub fn named(&self) -> impl Iterator<Item = (&Path, u64, &'static str)> {
        self.first.iter().map(|(at, why)| {
            let path = self
                .files
                .get(at.file as usize)
                .map_or(Path::new("?"), PathBuf::as_path);
            (path, at.line, *why)
        })
    }
}

impl fmt::Display for BadLines {
    /// `FILE:LINE: malformed line skipped: REASON`, then a count of the rest.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (path, line, why) in self.named() {
            writeln!(
                f,
                "{}:{line}: malformed line skipped: {why}",
                path.display()
            )?;
        }
        let rest = self.count.saturating_sub(self.first.len() as u64);
        if rest > 0 {
            writeln!(f, "... and {rest} more malformed lines skipped")?;
        }
        Ok(())
    }
}

/// Opens a file, undoing gzip or zstd compression recognised by its first bytes.
pub fn open(path: &Path) -> Result<Box<dyn Read + Send>, InputError> {
    let err = |cause| InputError::Read {
        path: path.to_owned(),
        cause,
    };
    let file = File::open(path).map_err(err)?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let head = reader.fill_buf().map_err(err)?;
    if head.starts_with(&[0x1f, 0x8b]) {
        Ok(Box::new(flate2::read::MultiGzDecoder::new(reader)))
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        let decoder = zstd::stream::read::Decoder::with_buffer(reader).map_err(err)?;
        Ok(Box::new(decoder))
    } else {
        Ok(Box::new(reader))
    }
}

/// A bounded hand-off of chunks from the reader to the workers. Waiting parks the thread: on
/// two cores a reader that spins while the queue is full takes a core from the parsers.
struct ChunkQueue {
    state: Mutex<(VecDeque<Chunk>, bool)>,
    not_empty: Condvar,
    not_full: Condvar,
    capacity: usize,
}

impl ChunkQueue {
    fn new(capacity: usize) -> Self {
        Self {
            state: Mutex::new((VecDeque::new(), false)),
            not_empty: Condvar::new(),
            not_full: Condvar::new(),
            capacity,
        }
    }

    /// Waits for room and queues a chunk; `false` if the queue is gone.
    fn push(&self, chunk: Chunk) -> bool {
        let Ok(mut state) = self.state.lock() else {
            return false;
        };
        while state.0.len() >= self.capacity {
            state = match self.not_full.wait(state) {
                Ok(s) => s,
                Err(_) => return false,
            };
        }
        state.0.push_back(chunk);
        self.not_empty.notify_one();
        true
    }

    /// Waits for a chunk; `None` once the queue is closed and empty.
    fn pop(&self) -> Option<Chunk> {
        let mut state = self.state.lock().ok()?;
        loop {
            if let Some(c) = state.0.pop_front() {
                self.not_full.notify_one();
                return Some(c);
            }
            if state.1 {
                return None;
            }
            state = self.not_empty.wait(state).ok()?;
        }
    }

    fn close(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.1 = true;
        }
        self.not_empty.notify_all();
    }
}

struct Chunk {
    file: u32,
    seq: u64,
    data: Vec<u8>,
    /// Bytes of `data` that belong to this chunk.
    len: usize,
}

/// Feeds every line of `files` to sinks made by `make`, one per worker thread, and merges them.
pub fn read_lines<S: LineSink>(
    files: &[PathBuf],
    make: impl Fn() -> S + Sync,
) -> Result<(S, BadLines), InputError> {
    if files.is_empty() {
        return Err(InputError::NoFiles);
    }
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let queue = ChunkQueue::new(workers * 2);
    let (give_back, recycled) = mpsc::sync_channel::<Vec<u8>>(workers * 3);
    let mut outcome: Result<(), InputError> = Ok(());
    let results: Vec<(S, BadLines)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let queue = &queue;
                let give_back = give_back.clone();
                let make = &make;
                scope.spawn(move || work(queue, &give_back, make()))
            })
            .collect();
        drop(give_back);
        outcome = feed(files, &queue, &recycled);
        queue.close();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    outcome?;
    let mut merged: Option<(S, BadLines)> = None;
    for (sink, bad) in results {
        match merged.as_mut() {
            None => merged = Some((sink, bad)),
            Some((s, b)) => {
                s.merge(sink);
                b.merge(bad);
            }
        }
    }
    let (sink, mut bad) = merged.unwrap_or_else(|| (make(), BadLines::default()));
    bad.files = files.to_vec();
    bad.resolve();
    Ok((sink, bad))
}

fn work<S: LineSink>(
    queue: &ChunkQueue,
    give_back: &SyncSender<Vec<u8>>,
    mut sink: S,
) -> (S, BadLines) {
    let mut bad = BadLines::default();
    while let Some(chunk) = queue.pop() {
        let mut at = LineAt {
            file: chunk.file,
            chunk: chunk.seq,
            line: 1,
        };
        let data = &chunk.data[..chunk.len];
        let mut start = 0;
        while start < data.len() {
            let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |i| start + i);
            let line = &data[start..end];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if !line.iter().all(u8::is_ascii_whitespace) {
                if let Err(why) = sink.line(line, at) {
                    bad.record(at, why);
                }
            }
            at.line += 1;
            start = end + 1;
        }
        bad.chunk_lines.push((chunk.seq, chunk.file, at.line - 1));
        let _ = give_back.try_send(chunk.data);
    }
    (sink, bad)
}

fn feed(
    files: &[PathBuf],
    queue: &ChunkQueue,
    recycled: &Receiver<Vec<u8>>,
) -> Result<(), InputError> {
    let mut seq = 0u64;
    for (index, path) in files.iter().enumerate() {
        let mut reader = open(path)?;
        let mut carry: Vec<u8> = Vec::new();
        loop {
            // Buffers keep their length between uses: their bytes are overwritten, not zeroed.
            let mut buf = recycled.try_recv().unwrap_or_default();
            let mut len = carry.len();
            if buf.len() < len {
                buf.resize(len, 0);
            }
            buf[..len].copy_from_slice(&carry);
            carry.clear();
            let eof = fill(&mut *reader, &mut buf, &mut len, path)?;
            if !eof {
                // Cut after the last line end; a line longer than a chunk grows the chunk.
                while memchr::memchr(b'\n', &buf[..len]).is_none() {
                    if fill(&mut *reader, &mut buf, &mut len, path)? {
                        break;
                    }
                }
                if let Some(cut) = memchr::memrchr(b'\n', &buf[..len]) {
                    carry.extend_from_slice(&buf[cut + 1..len]);
                    len = cut + 1;
                }
            }
            let done = eof && carry.is_empty();
            if len > 0 {
                let chunk = Chunk {
                    file: index as u32,
                    seq,
                    data: buf,
                    len,
                };
                seq += 1;
                if !queue.push(chunk) {
                    return Ok(());
                }
            }
            if done {
                break;
            }
        }
    }
    Ok(())
}

/// Reads up to another chunk's worth into `buf[len..]`; returns whether the input ended.
fn fill(
    reader: &mut dyn Read,
    buf: &mut Vec<u8>,
    len: &mut usize,
    path: &Path,
) -> Result<bool, InputError> {
    let target = *len + CHUNK;
    if buf.len() < target {
        buf.resize(target, 0);
    }
    while *len < target {
        match reader.read(&mut buf[*len..target]) {
            Ok(0) => return Ok(true),
            Ok(n) => *len += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(cause) => {
                return Err(InputError::Read {
                    path: path.to_owned(),
                    cause,
                })
            }
        }
    }
    Ok(false)
}
