//! Connections, transactions and migrations for the two engines.
//!
//! SQLite runs in WAL mode with one writer connection (writes queue in-process, and
//! `BEGIN IMMEDIATE` makes other processes wait on the busy timeout) and a pool of readers.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::sync::Arc;

use partnerhub_domain::audit::ChainKey;
use sqlx::{Postgres, Sqlite, Transaction};

use crate::error::StoreError;

/// The connection pools of one engine.
#[derive(Debug, Clone)]
pub enum Db {
    Sqlite { read: SqlitePool, write: SqlitePool },
    Postgres(PgPool),
}

/// A handle on the database and the key its audit chain is written with; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) db: Db,
    /// Without a key the store reads, but refuses audited changes.
    pub(crate) chain_key: Option<Arc<ChainKey>>,
}

/// An open transaction on either engine, with the key its audit rows are chained with.
pub struct Tx {
    pub(crate) inner: TxInner,
    pub(crate) chain_key: Option<Arc<ChainKey>>,
}

/// The engine's own transaction.
pub(crate) enum TxInner {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// Runs `$body` with `$c` bound to the transaction's connection, once per engine.
macro_rules! on_tx {
    ($tx:expr, $c:ident => $body:expr) => {
        match &mut ($tx).inner {
            $crate::db::TxInner::Sqlite(t) => {
                let $c: &mut sqlx::SqliteConnection = &mut **t;
                $body
            }
            $crate::db::TxInner::Postgres(t) => {
                let $c: &mut sqlx::PgConnection = &mut **t;
                $body
            }
        }
    };
}
pub(crate) use on_tx;

impl Tx {
    /// Locks the row that `lock_sql` (a `SELECT … FOR UPDATE` with one parameter) selects until
    /// the transaction ends, so that what the transaction reads of it stays true until it writes.
    /// PostgreSQL only: on SQLite every writing transaction holds the database's one write lock
    /// from its start (`BEGIN IMMEDIATE`).
    pub(crate) async fn lock(
        &mut self,
        lock_sql: &'static str,
        id: i64,
    ) -> Result<(), sqlx::Error> {
        if let TxInner::Postgres(t) = &mut self.inner {
            sqlx::query(lock_sql).bind(id).execute(&mut **t).await?;
        }
        Ok(())
    }

    /// The key audit rows are chained with.
    pub(crate) fn chain_key(&self) -> Result<&ChainKey, StoreError> {
        self.chain_key.as_deref().ok_or(StoreError::NoChainKey)
    }
}

/// Executes a statement built by `$q` in the transaction; yields the number of rows affected.
macro_rules! exec_tx {
    ($tx:expr, $q:expr) => {
        $crate::db::on_tx!($tx, c => $q.execute(&mut *c).await.map(|r| r.rows_affected()))
    };
}
pub(crate) use exec_tx;

/// Runs `$body` with `$p` bound to a pool for reads, once per engine.
macro_rules! on_pool {
    ($store:expr, $p:ident => $body:expr) => {
        match &$store.db {
            $crate::db::Db::Sqlite { read, .. } => {
                let $p = read;
                $body
            }
            $crate::db::Db::Postgres(pool) => {
                let $p = pool;
                $body
            }
        }
    };
}
pub(crate) use on_pool;

impl Store {
    /// Opens `url`: `postgres://…`/`postgresql://…`, or `sqlite://PATH` / a plain path for SQLite.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await?;
            return Ok(Store::new(Db::Postgres(pool)));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        Self::open_sqlite(Path::new(path)).await
    }

    /// Opens (creating if missing) an SQLite database file. A new file is created readable by
    /// its owner only (0600), and SQLite gives its WAL and shared-memory files the same mode.
    pub async fn open_sqlite(path: &Path) -> Result<Self, StoreError> {
        create_private(path)?;
        let options = SqliteConnectOptions::from_str("sqlite://")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a committed (acknowledged) write survives a power cut, not only a crash.
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            .pragma("cache_size", "-16000");
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.clone())
            .await?;
        let read = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.read_only(true))
            .await?;
        Ok(Store::new(Db::Sqlite { read, write }))
    }

    fn new(db: Db) -> Self {
        Self {
            db,
            chain_key: None,
        }
    }

    /// The same store, writing its audit chain with `key`.
    pub fn with_chain_key(mut self, key: ChainKey) -> Self {
        self.chain_key = Some(Arc::new(key));
        self
    }

    /// The pools, for tests and tools that look at the database behind the store's back.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Brings the schema up to date, and the stored name keys with the rule that makes them.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match &self.db {
            Db::Sqlite { write, .. } => sqlx::migrate!("./migrations/sqlite").run(write).await?,
            Db::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await?,
        }
        self.rekey_names().await
    }

    /// Starts a write transaction.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        let inner = match &self.db {
            Db::Sqlite { write, .. } => TxInner::Sqlite(write.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(pool) => TxInner::Postgres(pool.begin().await?),
        };
        Ok(Tx {
            inner,
            chain_key: self.chain_key.clone(),
        })
    }

    /// Checks the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        on_pool!(self, p => sqlx::query("SELECT 1").execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Closes every connection (at shutdown, so SQLite checkpoints its WAL).
    pub async fn close(&self) {
        match &self.db {
            Db::Sqlite { read, write } => {
                read.close().await;
                write.close().await;
            }
            Db::Postgres(pool) => pool.close().await,
        }
    }

    /// Whether the database holds no organization besides the vendor's (a fresh install).
    pub async fn is_empty(&self) -> Result<bool, StoreError> {
        let n: i64 = on_pool!(self, p => sqlx::query_scalar("SELECT COUNT(*) FROM organizations WHERE kind <> 'vendor'").fetch_one(p).await)?;
        Ok(n == 0)
    }
}

/// Creates `path` as an empty file only its owner may read and write, unless it exists; an
/// existing database file (and its WAL and shared-memory files) wider than that is narrowed.
fn create_private(path: &Path) -> Result<(), StoreError> {
    let io = |e: std::io::Error| StoreError::Io(format!("{}: {e}", path.display()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        options.open(path).map_err(io)?;
        for suffix in ["", "-wal", "-shm"] {
            let file = std::path::PathBuf::from(format!("{}{suffix}", path.display()));
            if let Ok(meta) = std::fs::metadata(&file) {
                if meta.permissions().mode() & 0o077 != 0 {
                    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
                        .map_err(io)?;
                }
            }
        }
    }
    #[cfg(not(unix))]
    options.open(path).map_err(io)?;
    Ok(())
}

impl Tx {
    pub async fn commit(self) -> Result<(), StoreError> {
        match self.inner {
            TxInner::Sqlite(t) => t.commit().await?,
            TxInner::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }
}
