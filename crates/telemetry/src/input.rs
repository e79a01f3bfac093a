//! Input files read line by line: plain, gzip or zstd (detected by content), cut into chunks at
//! line ends that worker threads parse in parallel; malformed lines are counted and named.
//!
//! A plain file is cut into stretches that the workers read themselves (positioned reads), so each
//! parses bytes still warm in its own cache and no reader thread competes for a core. A compressed
//! file is decompressed by one reader thread that hands out chunks cut at line ends.

use std::collections::BTreeSet;
use std::collections::VecDeque;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Condvar, Mutex};

/// Bytes handed to a worker at a time.
const CHUNK: usize = 4 << 20;
/// Bytes of a plain file a worker reads at a time: small enough to stay in its cache.
const STRETCH: u64 = 1 << 20;
/// How far a worker reads on past its stretch at a time to finish the stretch's last line.
const TAIL: usize = 64 << 10;
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
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
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
    let file = File::open(path).map_err(|cause| InputError::Read {
        path: path.to_owned(),
        cause,
    })?;
    decompressing(file, path)
}

/// Reads an open file (or pipe) as a stream, undoing gzip or zstd compression recognised by its
/// first bytes.
fn decompressing(file: File, path: &Path) -> Result<Box<dyn Read + Send>, InputError> {
    let err = |cause| InputError::Read {
        path: path.to_owned(),
        cause,
    };
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
    /// Queued tasks, and whether the queue is closed (no more tasks) or aborted (a worker failed).
    state: Mutex<QueueState>,
    not_empty: Condvar,
    not_full: Condvar,
    capacity: usize,
}

#[derive(Default)]
struct QueueState {
    tasks: VecDeque<Task>,
    closed: bool,
    aborted: bool,
}

impl ChunkQueue {
    fn new(capacity: usize) -> Self {
        Self {
            state: Mutex::new(QueueState::default()),
            not_empty: Condvar::new(),
            not_full: Condvar::new(),
            capacity,
        }
    }

    /// Waits for room and queues a task; `false` if the workers stopped.
    fn push(&self, task: Task) -> bool {
        let Ok(mut state) = self.state.lock() else {
            return false;
        };
        while state.tasks.len() >= self.capacity && !state.aborted {
            state = match self.not_full.wait(state) {
                Ok(s) => s,
                Err(_) => return false,
            };
        }
        if state.aborted {
            return false;
        }
        state.tasks.push_back(task);
        self.not_empty.notify_one();
        true
    }

    /// Waits for a task; `None` once the queue is closed and empty, or aborted.
    fn pop(&self) -> Option<Task> {
        let mut state = self.state.lock().ok()?;
        loop {
            if state.aborted {
                return None;
            }
            if let Some(t) = state.tasks.pop_front() {
                self.not_full.notify_one();
                return Some(t);
            }
            if state.closed {
                return None;
            }
            state = self.not_empty.wait(state).ok()?;
        }
    }

    fn close(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.closed = true;
        }
        self.not_empty.notify_all();
    }

    /// Stops everything: a worker could not read its input.
    fn abort(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.aborted = true;
        }
        self.not_empty.notify_all();
        self.not_full.notify_all();
    }
}

/// Work for a worker: lines of one file, numbered by `seq` (the order of tasks in the input).
enum Task {
    /// Lines already read: `data[..len]` of a decompressed stream.
    Bytes {
        file: u32,
        seq: u64,
        data: Vec<u8>,
        len: usize,
    },
    /// The lines of a plain file that start in `start..end`, for the worker to read.
    Stretch {
        file: u32,
        seq: u64,
        handle: Arc<File>,
        start: u64,
        end: u64,
    },
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
    let results: Vec<Result<(S, BadLines), InputError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let queue = &queue;
                let give_back = give_back.clone();
                let make = &make;
                scope.spawn(move || {
                    // A worker that fails or panics stops the feeder, which would otherwise
                    // wait forever for room in the queue.
                    let mut guard = AbortUnlessDone(queue, false);
                    let done = work(queue, &give_back, files, make());
                    guard.1 = done.is_ok();
                    done
                })
            })
            .collect();
        drop(give_back);
        outcome = feed(files, &queue, &recycled);
        queue.close();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    outcome?;
    let mut merged: Option<(S, BadLines)> = None;
    for result in results {
        let (sink, bad) = result?;
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

/// A worker: takes tasks until the queue ends, feeding their lines to `sink`.
fn work<S: LineSink>(
    queue: &ChunkQueue,
    give_back: &SyncSender<Vec<u8>>,
    files: &[PathBuf],
    mut sink: S,
) -> Result<(S, BadLines), InputError> {
    let mut bad = BadLines::default();
    let mut own = Vec::new();
    while let Some(task) = queue.pop() {
        match task {
            Task::Bytes {
                file,
                seq,
                data,
                len,
            } => {
                lines(&data[..len], file, seq, &mut sink, &mut bad);
                let _ = give_back.try_send(data);
            }
            Task::Stretch {
                file,
                seq,
                handle,
                start,
                end,
            } => {
                let span = read_stretch(&handle, start, end, &mut own).map_err(|cause| {
                    InputError::Read {
                        path: files.get(file as usize).cloned().unwrap_or_default(),
                        cause,
                    }
                })?;
                lines(&own[span], file, seq, &mut sink, &mut bad);
            }
        }
    }
    Ok((sink, bad))
}

/// Feeds the lines of `data` (task `seq` of file `file`) to `sink`, recording the bad ones.
fn lines<S: LineSink>(data: &[u8], file: u32, seq: u64, sink: &mut S, bad: &mut BadLines) {
    let mut at = LineAt {
        file,
        chunk: seq,
        line: 1,
    };
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
    bad.chunk_lines.push((seq, file, at.line - 1));
}

/// Reads into `buf` the lines of a plain file that start in `start..end`, the last one read on
/// to its end; returns their span in `buf`. A line belongs to the stretch its first byte is in.
fn read_stretch(file: &File, start: u64, end: u64, buf: &mut Vec<u8>) -> io::Result<Range<usize>> {
    // The byte before the stretch tells whether a line starts at `start`.
    let from = start.saturating_sub(1);
    let want = usize::try_from(end - from).map_err(io::Error::other)?;
    let mut len = read_at(file, from, want, buf, 0)?;
    let begin = if start == 0 {
        0
    } else {
        match memchr::memchr(b'\n', &buf[..len]) {
            Some(i) => i + 1,
            None => return Ok(0..0),
        }
    };
    if begin >= len {
        return Ok(0..0);
    }
    if len == want && buf[len - 1] != b'\n' {
        loop {
            let n = read_at(file, from + len as u64, TAIL, buf, len)?;
            if n == 0 {
                break;
            }
            let found = memchr::memchr(b'\n', &buf[len..len + n]);
            match found {
                Some(i) => {
                    len += i + 1;
                    break;
                }
                None => len += n,
            }
        }
    }
    Ok(begin..len)
}

/// Reads up to `want` bytes at `offset` of `file` into `buf[at..]`; fewer only at the end of the
/// file. Returns how many were read.
fn read_at(
    file: &File,
    offset: u64,
    want: usize,
    buf: &mut Vec<u8>,
    at: usize,
) -> io::Result<usize> {
    if buf.len() < at + want {
        buf.resize(at + want, 0);
    }
    let mut done = 0;
    while done < want {
        match positioned_read(file, &mut buf[at + done..at + want], offset + done as u64) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

/// Whether regular files are read by position here (no platform-neutral positioned read in std).
const POSITIONED_READS: bool = cfg!(unix);

/// One positioned read; the file's cursor does not move.
#[cfg(unix)]
fn positioned_read(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}

#[cfg(not(unix))]
fn positioned_read(_: &File, _: &mut [u8], _: u64) -> io::Result<usize> {
    Err(io::ErrorKind::Unsupported.into())
}

/// Aborts the queue when dropped, unless marked done: a worker's guard.
struct AbortUnlessDone<'q>(&'q ChunkQueue, bool);

impl Drop for AbortUnlessDone<'_> {
    fn drop(&mut self) {
        if !self.1 {
            self.0.abort();
        }
    }
}

/// Whether a file's first bytes mark it as gzip or zstd.
fn is_compressed(head: &[u8]) -> bool {
    head.starts_with(&[0x1f, 0x8b]) || head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd])
}

/// Queues the work for every file: stretches of plain files, decompressed chunks of the others.
fn feed(
    files: &[PathBuf],
    queue: &ChunkQueue,
    recycled: &Receiver<Vec<u8>>,
) -> Result<(), InputError> {
    let mut seq = 0u64;
    for (index, path) in files.iter().enumerate() {
        let err = |cause| InputError::Read {
            path: path.clone(),
            cause,
        };
        let handle = File::open(path).map_err(err)?;
        let meta = handle.metadata().map_err(err)?;
        // Only a regular file can be read at any position; a pipe or device is streamed.
        // Only a regular file can be read at any position (and one of size 0 may be a kernel
        // file whose size is unknown); anything else is streamed.
        let by_position = POSITIONED_READS && meta.is_file() && meta.len() > 0;
        let mut head = Vec::new();
        if by_position {
            let n = read_at(&handle, 0, 4, &mut head, 0).map_err(err)?;
            head.truncate(n);
        }
        if by_position && !is_compressed(&head) {
            let size = meta.len();
            let handle = Arc::new(handle);
            let mut start = 0;
            while start < size {
                let end = size.min(start + STRETCH);
                let task = Task::Stretch {
                    file: index as u32,
                    seq,
                    handle: Arc::clone(&handle),
                    start,
                    end,
                };
                seq += 1;
                if !queue.push(task) {
                    return Ok(());
                }
                start = end;
            }
            continue;
        }
        let mut reader = decompressing(handle, path)?;
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
                let task = Task::Bytes {
                    file: index as u32,
                    seq,
                    data: buf,
                    len,
                };
                seq += 1;
                if !queue.push(task) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The stretches of `text` cut every `size` bytes, read as the workers read them.
    fn stretches(text: &[u8], size: u64) -> Vec<Vec<u8>> {
        let path = std::env::temp_dir().join(format!(
            "telemetry-stretch-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::write(&path, text).unwrap();
        let file = File::open(&path).unwrap();
        let mut out = Vec::new();
        let mut buf = Vec::new();
        let mut start = 0;
        while start < text.len() as u64 {
            let end = (start + size).min(text.len() as u64);
            let span = read_stretch(&file, start, end, &mut buf).unwrap();
            out.push(buf[span].to_vec());
            start = end;
        }
        std::fs::remove_file(path).unwrap();
        out
    }

    #[test]
    fn a_line_belongs_to_the_stretch_its_first_byte_is_in() {
        let got = stretches(b"ab\ncdefgh\n\nij", 4);
        assert_eq!(got, [&b"ab\ncdefgh\n"[..], b"", b"\nij", b""]);
        // A stretch in which no line starts is empty; one ending on a line end stops there.
        let got = stretches(b"abcdefghij\nk\n", 3);
        assert_eq!(got, [&b"abcdefghij\n"[..], b"", b"", b"k\n", b""]);
    }

    /// A sink that fails a test by panicking on every line.
    struct Panicking;

    impl LineSink for Panicking {
        fn line(&mut self, _: &[u8], _: LineAt) -> Result<(), Malformed> {
            panic!("a sink failed");
        }
        fn merge(&mut self, _: Self) {}
    }

    #[test]
    fn a_panicking_worker_stops_the_run_instead_of_hanging_it() {
        // More stretches than the queue holds, so the feeder would wait for room forever.
        let path = std::env::temp_dir().join(format!("telemetry-panic-{}", std::process::id()));
        let line = format!("{}\n", "x".repeat(1023));
        std::fs::write(&path, line.repeat(12 * 1024)).unwrap();
        let run =
            std::panic::catch_unwind(|| read_lines(std::slice::from_ref(&path), || Panicking));
        std::fs::remove_file(path).unwrap();
        assert!(run.is_err(), "the workers' panic is raised again");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_kernel_file_of_unknown_size_is_streamed() {
        // /proc files say they are empty; their text is there all the same.
        struct Count(u64);
        impl LineSink for Count {
            fn line(&mut self, _: &[u8], _: LineAt) -> Result<(), Malformed> {
                self.0 += 1;
                Ok(())
            }
            fn merge(&mut self, other: Self) {
                self.0 += other.0;
            }
        }
        let (count, _) = read_lines(&[PathBuf::from("/proc/self/mounts")], || Count(0)).unwrap();
        assert!(count.0 > 0);
    }

    proptest! {
        #[test]
        fn stretches_cover_every_line_once(
            text in prop::collection::vec(prop::sample::select(vec![b'a', b'\n', b'\r', b'"']), 0..400),
            size in 1u64..70,
        ) {
            let parts = stretches(&text, size);
            prop_assert_eq!(parts.concat(), text.clone());
            let mut at = 0usize;
            for part in &parts {
                // Every non-empty stretch starts at a line start.
                if !part.is_empty() {
                    prop_assert!(at == 0 || text[at - 1] == b'\n');
                }
                at += part.len();
            }
        }
    }
}
