//! Deterministic, realistic test data: ping envelopes of installations that appear, ping weekly
//! and churn, and access logs with real path shapes, metadata and bot noise.

mod downloads;
mod payload;
mod pings;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

pub use downloads::{generate_downloads, DownloadGeneration};
pub use pings::{generate_pings, PingGeneration};

/// Data generation that could not complete.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("cannot write {path}: {cause}")]
    Write {
        path: std::path::PathBuf,
        cause: std::io::Error,
    },
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Ranges(#[from] crate::ranges::RangesError),
}

/// A buffered output file whose errors name the file.
struct Output<'p> {
    path: &'p Path,
    out: BufWriter<File>,
}

impl<'p> Output<'p> {
    fn create(path: &'p Path) -> Result<Self, GenerateError> {
        let file = File::create(path).map_err(|cause| GenerateError::Write {
            path: path.to_owned(),
            cause,
        })?;
        Ok(Self {
            path,
            out: BufWriter::with_capacity(1 << 20, file),
        })
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), GenerateError> {
        self.out
            .write_all(bytes)
            .map_err(|cause| GenerateError::Write {
                path: self.path.to_owned(),
                cause,
            })
    }

    fn finish(mut self) -> Result<(), GenerateError> {
        self.out.flush().map_err(|cause| GenerateError::Write {
            path: self.path.to_owned(),
            cause,
        })
    }
}

/// A random generator for one item, derived from the run's seed and the item's identity so that
/// items can be produced in any order and stay the same.
fn rng_for(seed: u64, stream: u64, item: u64) -> rand_chacha::ChaCha8Rng {
    use rand::SeedableRng;
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..16].copy_from_slice(&stream.to_le_bytes());
    key[16..24].copy_from_slice(&item.to_le_bytes());
    rand_chacha::ChaCha8Rng::from_seed(key)
}
