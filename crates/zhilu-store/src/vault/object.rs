//! A vault root in an object store: an S3-compatible bucket (a local primary and an S3 replica, or
//! two buckets; X5), or memory in tests. Same layout as a local root, under a key prefix:
//! `<prefix>/objects/sha256/ab/cd/<hex>`, `<prefix>/tmp/…`, `<prefix>/quarantine/<hex>.<tag>`, and
//! the marker `<prefix>/zhilu-vault-root` that `create` writes and `open` requires (a missing
//! bucket or prefix is an error, never silently an empty root).
//!
//! Write-once the S3 way. A name is never written twice:
//! * an object smaller than `large_from` (16 MiB) is one `PUT` with `If-None-Match: *`
//!   ([`PutMode::Create`]), its bytes checked by the server against an `x-amz-checksum-sha256`
//!   header before it is stored; then it is read back (a `GET`) and checked against the size and
//!   XXH3-128 of the bytes written, as a local root checks its read-back. A mismatch there (the
//!   store lost or changed bytes after accepting them) is an error and the copy is left for fixity
//!   to quarantine: nothing deletes a final name.
//! * a larger object goes by multipart upload to a temporary key (`tmp/`), which is read back and
//!   checked *before* it is copied into place with copy-if-not-exists (on S3: an `UploadPartCopy`
//!   completed with `If-None-Match: *`); the temporary key is then deleted. Dropping an unfinished
//!   upload aborts it, so an interrupted write leaves nothing under `objects/` (a process killed
//!   mid-upload leaves an incomplete multipart upload, invisible to readers: give the bucket a
//!   lifecycle rule that aborts them after a day; temporary keys older than an hour are removed
//!   when a root is opened). A single copy is limited to S3's 5 GiB per `UploadPartCopy`.
//!
//! Object lock (`s3_lock.rs`: the requests `object_store` cannot send). When a root is opened it
//! asks whether its bucket has object lock enabled; if not, nothing more is sent and the root
//! behaves as a plain bucket. If it has:
//! * every object written with a retain-until date ([`ObjectRoot::begin_retained`]: the offload
//!   passes offload time + the profile's minimum retention) gets COMPLIANCE retention until then,
//!   right after it is in place (never shortened: a later date already there is kept). The
//!   bucket's own default retention, if the operator set one, applies too.
//! * a legal hold on a recording in the catalog sets the S3 legal hold ON
//!   ([`ObjectRoot::set_legal_hold`]), OFF when the last hold covering it is released. The catalog and ledger are the authority;
//!   the S3 lock is a second line: COMPLIANCE retention no account can shorten (root included),
//!   a legal hold only an account allowed `s3:PutObjectLegalHold` can lift.
//! * an approved purge (R20) deletes every version of the object (a plain `DELETE` in a versioned
//!   bucket would only add a delete marker and keep the bytes); before its date, or under a
//!   legal hold, it is refused ([`ObjectRoot::purge_refused`]), and S3 refuses it too.
//!
//! The [`ObjectRoot`] traits are blocking, and may be called from async tasks: every request runs
//! on the root's own small runtime and the caller waits on a channel (never `block_on` inside a
//! runtime, which panics).

use std::fmt;
use std::future::Future;
use std::io::{self, Read, Write};
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Timelike, Utc};
use futures_util::{StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3Builder, Checksum, S3CopyIfNotExists};
use object_store::path::Path as Key;
use object_store::{
    ClientOptions, MultipartUpload, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload,
    RetryConfig,
};
use xxhash_rust::xxh3::{Xxh3Default, xxh3_64};

use super::s3_lock::{BucketLock, LockClient, ObjectLock};
use super::{CopyStat, ObjectRoot, PendingObject, Result, read_back_failed, valid_hex};
use crate::error::StoreError;

/// Objects from this size up are uploaded in parts under a temporary key, then copied into place.
pub const LARGE_FROM: u64 = 16 << 20;
/// The size of each uploaded part (S3 asks at least 5 MiB for all but the last).
pub const PART_SIZE: usize = 8 << 20;
/// Bytes fetched per request when an object is read whole (fixity, repair).
const READ_CHUNK: u64 = 8 << 20;
/// A temporary key untouched this long belongs to a writer that died.
const ABANDONED_AFTER: chrono::TimeDelta = chrono::TimeDelta::hours(1);
const MARKER: &str = "zhilu-vault-root";

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Where an S3 root lives, from `zhilu.toml` (bucket, prefix, endpoint, region) and the
/// environment (credentials, never in the file).
#[derive(Clone)]
pub struct S3Location {
    pub bucket: String,
    /// Key prefix inside the bucket, without leading or trailing `/`; may be empty.
    pub prefix: String,
    /// `http(s)://host:port` of an S3-compatible service; `None` for AWS itself.
    pub endpoint: Option<String>,
    pub region: String,
    /// Allow plain HTTP (a test server on 127.0.0.1); HTTPS otherwise.
    pub allow_http: bool,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl fmt::Debug for S3Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Credentials never reach a log.
        f.debug_struct("S3Location")
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("allow_http", &self.allow_http)
            .finish_non_exhaustive()
    }
}

impl S3Location {
    /// `s3://bucket/prefix`, as written in `zhilu.toml`.
    pub fn url(&self) -> String {
        if self.prefix.is_empty() {
            format!("s3://{}", self.bucket)
        } else {
            format!("s3://{}/{}", self.bucket, self.prefix)
        }
    }

    /// Builds the S3 client (no request is made).
    fn store(&self) -> Result<Arc<dyn ObjectStore>> {
        // reqwest's TLS runs on rustls with ring, the provider the server uses too.
        let _ = rustls::crypto::ring::default_provider().install_default();
        // Client options first: `with_client_options` replaces them all, `allow_http` included.
        let mut b = AmazonS3Builder::new()
            .with_client_options(
                ClientOptions::new()
                    .with_connect_timeout(Duration::from_secs(5))
                    .with_timeout(Duration::from_secs(300))
                    .with_default_headers(sdk_checksum_header()),
            )
            .with_bucket_name(&self.bucket)
            .with_region(&self.region)
            .with_allow_http(self.allow_http)
            .with_access_key_id(&self.access_key_id)
            .with_secret_access_key(&self.secret_access_key)
            .with_copy_if_not_exists(S3CopyIfNotExists::Multipart)
            .with_checksum_algorithm(Checksum::SHA256)
            .with_retry(RetryConfig {
                max_retries: 3,
                retry_timeout: Duration::from_secs(30),
                backoff: Default::default(),
            });
        if let Some(t) = &self.session_token {
            b = b.with_token(t);
        }
        if let Some(e) = &self.endpoint {
            b = b.with_endpoint(e);
        }
        let s3 = b.build().map_err(|e| store_error(&self.url(), e))?;
        Ok(Arc::new(s3))
    }
}

/// `x-amz-sdk-checksum-algorithm: SHA256` on every request: a bucket with object lock refuses an
/// upload without it (or `Content-MD5`); the `x-amz-checksum-sha256` it names is on every upload.
fn sdk_checksum_header() -> reqwest::header::HeaderMap {
    let mut h = reqwest::header::HeaderMap::new();
    h.insert(
        "x-amz-sdk-checksum-algorithm",
        reqwest::header::HeaderValue::from_static("SHA256"),
    );
    h
}

/// The runtime that runs a root's requests; shut down without waiting when the root goes (it may
/// be dropped inside another runtime, where a blocking shutdown panics).
struct Runtime(Option<tokio::runtime::Runtime>);

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

struct Shared {
    store: Arc<dyn ObjectStore>,
    prefix: String,
    name: String,
    rt: Runtime,
    /// The object lock client (S3 roots only).
    lock: Option<Arc<LockClient>>,
    /// The bucket's object lock, asked when the root is opened (`None`: not enabled).
    bucket_lock: std::sync::OnceLock<Option<BucketLock>>,
}

impl Shared {
    /// The lock client, when the bucket has object lock enabled.
    fn locker(&self) -> Option<Arc<LockClient>> {
        match self.bucket_lock.get() {
            Some(Some(_)) => self.lock.clone(),
            _ => None,
        }
    }

    /// The lock state of an object (`None`: no lock on this bucket, or no such object).
    fn object_lock(&self, key: &Key) -> Result<Option<ObjectLock>> {
        let Some(lock) = self.locker() else {
            return Ok(None);
        };
        let k = key.to_string();
        self.run(async move { lock.object_lock(&k).await })?
    }

    /// Makes the object at `key` locked in COMPLIANCE mode until `until` at least; `only_if_none`:
    /// only when it has no retention at all (an object another writer stored first).
    fn retain(&self, key: &Key, until: DateTime<Utc>, only_if_none: bool) -> Result<()> {
        let Some(lock) = self.locker() else {
            return Ok(());
        };
        // S3 keeps whole seconds: compare what it will hold.
        let until = until.with_nanosecond(0).unwrap_or(until);
        let current = self.object_lock(key)?.unwrap_or_default();
        let enough = match (current.mode.as_deref(), current.retain_until) {
            (Some("COMPLIANCE"), Some(t)) => t >= until || only_if_none,
            (Some(_), Some(_)) => only_if_none,
            _ => false,
        };
        if enough {
            return Ok(());
        }
        let k = key.to_string();
        self.run(async move { lock.set_retention(&k, until).await })?
    }

    fn key(&self, rel: &str) -> Key {
        if self.prefix.is_empty() {
            Key::from(rel)
        } else {
            Key::from(format!("{}/{rel}", self.prefix))
        }
    }

    fn object_key(&self, sha256: &str) -> Key {
        self.key(&format!(
            "objects/sha256/{}/{}/{sha256}",
            &sha256[..2],
            &sha256[2..4]
        ))
    }

    /// Runs `fut` on the root's runtime and waits for it, from any thread (async or not).
    fn run<T: Send + 'static>(&self, fut: impl Future<Output = T> + Send + 'static) -> Result<T> {
        let rt = self.rt.0.as_ref().ok_or_else(|| self.gone())?;
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        rt.spawn(async move {
            let _ = tx.send(fut.await);
        });
        rx.recv().map_err(|_| self.gone())
    }

    fn gone(&self) -> StoreError {
        StoreError::io(&self.name, io::Error::other("对象存储的后台任务已停止"))
    }

    fn head(&self, key: Key) -> Result<Option<object_store::ObjectMeta>> {
        let store = self.store.clone();
        match self.run(async move { store.head(&key).await })? {
            Ok(m) => Ok(Some(m)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(store_error(&self.name, e)),
        }
    }

    fn delete(&self, key: Key) -> Result<()> {
        let store = self.store.clone();
        match self.run(async move { store.delete(&key).await })? {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(store_error(&self.name, e)),
        }
    }

    /// Size and XXH3-128 of what the store holds at `key`, streamed.
    fn read_back(&self, key: Key) -> Result<(u64, u128)> {
        let store = self.store.clone();
        self.run(async move {
            let mut stream = store.get(&key).await?.into_stream();
            let mut h = Xxh3Default::new();
            let mut n = 0u64;
            while let Some(chunk) = stream.next().await {
                let chunk = chunk?;
                n += chunk.len() as u64;
                h.update(&chunk);
            }
            Ok::<_, object_store::Error>((n, h.digest128()))
        })?
        .map_err(|e| store_error(&self.name, e))
    }
}

/// Maps an object store error to ours, in Chinese, keeping its kind (not found, exists, denied).
fn store_error(at: &str, e: object_store::Error) -> StoreError {
    use object_store::Error as E;
    let (kind, what) = match &e {
        E::NotFound { .. } => (io::ErrorKind::NotFound, "对象不存在"),
        E::AlreadyExists { .. } | E::Precondition { .. } => {
            (io::ErrorKind::AlreadyExists, "对象已存在")
        }
        E::PermissionDenied { .. } | E::Unauthenticated { .. } => (
            io::ErrorKind::PermissionDenied,
            "对象存储拒绝访问（请检查 AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY 及桶的权限）",
        ),
        _ => (
            io::ErrorKind::Other,
            "对象存储请求失败（请检查 endpoint、网络和桶是否存在）",
        ),
    };
    StoreError::io(at, io::Error::new(kind, format!("{what}：{e}")))
}

/// The error for a purge the object lock forbids.
fn locked(at: &str, key: &Key, why: String) -> StoreError {
    StoreError::io(
        format!("{at}/{key}"),
        io::Error::new(io::ErrorKind::PermissionDenied, why),
    )
}

/// A vault root in an object store (S3-compatible, or memory in tests).
pub struct ObjectStoreRoot {
    shared: Arc<Shared>,
    /// Stands for the bucket and prefix in [`CopyStat::dev`]: two roots on the same bucket and
    /// prefix are one copy, which [`super::Vault::copies_short`] reports.
    dev: u64,
    large_from: u64,
    part_size: usize,
}

impl fmt::Debug for ObjectStoreRoot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectStoreRoot")
            .field("name", &self.shared.name)
            .field("large_from", &self.large_from)
            .finish_non_exhaustive()
    }
}

impl ObjectStoreRoot {
    /// A root over any object store (memory in tests), under `prefix`. `identity` names the
    /// storage (`s3://bucket`, `memory:1`): roots with the same identity and prefix are the same
    /// place. Makes no request; see [`Self::create`] and [`Self::open`].
    pub fn new(store: Arc<dyn ObjectStore>, identity: &str, prefix: &str) -> Result<Self> {
        let prefix = prefix.trim_matches('/').to_string();
        let name = if prefix.is_empty() {
            identity.to_string()
        } else {
            format!("{}/{prefix}", identity.trim_end_matches('/'))
        };
        if !valid_prefix(&prefix) {
            return Err(StoreError::io(
                &name,
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "对象存储前缀只能由字母、数字、“.”、“_”、“-”和“/”组成，且不能含“..”或空段",
                ),
            ));
        }
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("zhilu-object-store")
            .enable_all()
            .build()
            .map_err(|e| StoreError::io(&name, e))?;
        Ok(ObjectStoreRoot {
            dev: xxh3_64(format!("{identity}\n{prefix}").as_bytes()),
            shared: Arc::new(Shared {
                store,
                prefix,
                name,
                rt: Runtime(Some(rt)),
                lock: None,
                bucket_lock: std::sync::OnceLock::new(),
            }),
            large_from: LARGE_FROM,
            part_size: PART_SIZE,
        })
    }

    /// The S3 root at `loc`. Makes no request.
    pub fn s3(loc: &S3Location) -> Result<Self> {
        let identity = format!(
            "s3://{}@{}",
            loc.bucket,
            loc.endpoint.as_deref().unwrap_or("aws")
        );
        let mut root = Self::new(loc.store()?, &identity, &loc.prefix)?;
        let lock = LockClient::new(loc)?;
        // Messages name the root as the operator wrote it.
        if let Some(shared) = Arc::get_mut(&mut root.shared) {
            shared.name = loc.url();
            shared.lock = Some(Arc::new(lock));
        }
        Ok(root)
    }

    /// The bucket's object lock configuration, once the root is opened; `None` when the bucket
    /// has no object lock (or the root is not on S3).
    pub fn bucket_lock(&self) -> Option<BucketLock> {
        self.shared.bucket_lock.get().cloned().flatten()
    }

    /// How many object-level lock requests (retention, legal hold, versions) this root has sent:
    /// none, for a bucket without object lock.
    pub fn lock_requests_sent(&self) -> u64 {
        self.shared
            .lock
            .as_ref()
            .map_or(0, |l| l.object_requests_sent())
    }

    /// Objects of `from` bytes and more take the multipart path, in parts of `part_size` (tests
    /// lower both to exercise it with small objects).
    pub fn with_large_objects(mut self, from: u64, part_size: usize) -> Self {
        self.large_from = from;
        self.part_size = part_size.max(1);
        self
    }

    /// Initialises the root (at `zhilu init`): writes its marker, nothing else. The bucket must
    /// exist: it is never created here.
    pub fn create(self) -> Result<Self> {
        let store = self.shared.store.clone();
        let key = self.shared.key(MARKER);
        let body = PutPayload::from_static(b"zhilu vault root\n");
        match self.shared.run(async move {
            store
                .put_opts(&key, body, PutOptions::from(PutMode::Create))
                .await
        })? {
            Ok(_) | Err(object_store::Error::AlreadyExists { .. }) => self.open(),
            Err(object_store::Error::NotFound { .. }) => Err(StoreError::io(
                &self.shared.name,
                io::Error::new(
                    io::ErrorKind::NotFound,
                    "存储位置不存在：桶不存在（不会自动创建，请先由管理员建好桶并配置对象锁定）",
                ),
            )),
            Err(e) => Err(store_error(&self.shared.name, e)),
        }
    }

    /// Checks that the root was initialised (its marker is there: the bucket exists and is
    /// reachable with these credentials) and removes temporary keys left by writers that died.
    pub fn open(self) -> Result<Self> {
        if self.shared.head(self.shared.key(MARKER))?.is_none() {
            return Err(StoreError::io(
                &self.shared.name,
                io::Error::new(
                    io::ErrorKind::NotFound,
                    "存储位置不存在或未初始化（桶不存在，或该前缀未经 zhilu init 初始化）",
                ),
            ));
        }
        let store = self.shared.store.clone();
        let tmp = self.shared.key("tmp");
        let stale = self
            .shared
            .run(async move {
                let now = chrono::Utc::now();
                store
                    .list(Some(&tmp))
                    .try_filter(|m| std::future::ready(now - m.last_modified > ABANDONED_AFTER))
                    .map_ok(|m| m.location)
                    .try_collect::<Vec<_>>()
                    .await
            })?
            .map_err(|e| store_error(&self.shared.name, e))?;
        for key in stale {
            tracing::info!(key = %key, "removing partial object left by a writer that died");
            self.shared.delete(key)?;
        }
        let bucket_lock = match self.shared.lock.clone() {
            None => None,
            Some(lock) => match self.shared.run(async move { lock.bucket_lock().await })? {
                Ok(l) => l,
                // Credentials that may not read the bucket's lock configuration: the root works
                // as a plain bucket (the bucket's own default retention still applies).
                Err(StoreError::Io { source, .. })
                    if source.kind() == io::ErrorKind::PermissionDenied =>
                {
                    tracing::warn!(root = %self.shared.name, error = %source,
                        "cannot read the bucket's object lock configuration; no object lock requests will be sent");
                    None
                }
                Err(e) => return Err(e),
            },
        };
        let _ = self.shared.bucket_lock.set(bucket_lock);
        Ok(self)
    }
}

/// A key prefix we accept: plain path segments only.
fn valid_prefix(p: &str) -> bool {
    p.is_empty()
        || p.split('/').all(|seg| {
            !seg.is_empty()
                && seg != "."
                && seg != ".."
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        })
}

impl ObjectRoot for ObjectStoreRoot {
    fn name(&self) -> &str {
        &self.shared.name
    }

    fn begin(&self) -> Result<Box<dyn PendingObject>> {
        self.begin_retained(None)
    }

    fn begin_retained(
        &self,
        retain_until: Option<DateTime<Utc>>,
    ) -> Result<Box<dyn PendingObject>> {
        Ok(Box::new(ObjectPending {
            retain_until,
            shared: self.shared.clone(),
            large_from: self.large_from,
            part_size: self.part_size,
            buf: Vec::new(),
            written: 0,
            checksum: Xxh3Default::new(),
            upload: None,
            tmp: None,
            tmp_complete: false,
            finished: false,
        }))
    }

    fn size_of(&self, sha256: &str) -> Result<Option<u64>> {
        if !valid_hex(sha256) {
            return Ok(None);
        }
        Ok(self
            .shared
            .head(self.shared.object_key(sha256))?
            .map(|m| m.size))
    }

    fn open(&self, sha256: &str) -> Result<Box<dyn Read + Send>> {
        if !valid_hex(sha256) {
            return Err(StoreError::NotFound(format!("对象 {sha256}")));
        }
        let key = self.shared.object_key(sha256);
        let Some(meta) = self.shared.head(key.clone())? else {
            return Err(StoreError::io(
                format!("{}/{key}", self.shared.name),
                io::Error::from(io::ErrorKind::NotFound),
            ));
        };
        Ok(Box::new(ChunkReader {
            shared: self.shared.clone(),
            key,
            size: meta.size,
            pos: 0,
            buf: Bytes::new(),
        }))
    }

    fn read_range(&self, sha256: &str, start: u64, len: u64) -> Result<Vec<u8>> {
        if !valid_hex(sha256) {
            return Err(StoreError::NotFound(format!("对象 {sha256}")));
        }
        let key = self.shared.object_key(sha256);
        let Some(meta) = self.shared.head(key.clone())? else {
            return Err(StoreError::io(
                format!("{}/{key}", self.shared.name),
                io::Error::from(io::ErrorKind::NotFound),
            ));
        };
        let end = start.saturating_add(len).min(meta.size);
        if start >= end {
            return Ok(Vec::new());
        }
        get_range(&self.shared, key, start..end).map(|b| b.to_vec())
    }

    fn list(&self) -> Result<Vec<String>> {
        let store = self.shared.store.clone();
        let base = self.shared.key("objects/sha256");
        let keys = self
            .shared
            .run(async move {
                store
                    .list(Some(&base))
                    .map_ok(|m| m.location)
                    .try_collect::<Vec<_>>()
                    .await
            })?
            .map_err(|e| store_error(&self.shared.name, e))?;
        let mut out: Vec<String> = keys
            .into_iter()
            .filter_map(|k| {
                let name = k.filename()?.to_string();
                // Only a name at its own place counts (not one left elsewhere under objects/).
                (valid_hex(&name) && self.shared.object_key(&name) == k).then_some(name)
            })
            .collect();
        out.sort();
        Ok(out)
    }

    /// Copies the damaged object to `quarantine/<hex>.<tag>` (never over an existing key), then
    /// deletes its name under `objects/`: the damaged bytes are kept, in quarantine.
    fn quarantine(&self, sha256: &str, tag: &str) -> Result<String> {
        if !valid_hex(sha256) || !valid_prefix(tag) || tag.contains('/') {
            return Err(StoreError::NotFound(format!("对象 {sha256}")));
        }
        let from = self.shared.object_key(sha256);
        let to = self.shared.key(&format!("quarantine/{sha256}.{tag}"));
        let store = self.shared.store.clone();
        let (f, t) = (from.clone(), to.clone());
        self.shared
            .run(async move { store.copy_if_not_exists(&f, &t).await })?
            .map_err(|e| store_error(&self.shared.name, e))?;
        self.shared.delete(from)?;
        Ok(format!("{}/{}", self.shared.name, to))
    }

    fn stat(&self, sha256: &str) -> Result<Option<CopyStat>> {
        if !valid_hex(sha256) {
            return Ok(None);
        }
        let key = self.shared.object_key(sha256);
        Ok(self.shared.head(key.clone())?.map(|m| CopyStat {
            regular: true,
            size: m.size,
            dev: self.dev,
            ino: xxh3_64(key.as_ref().as_bytes()),
            nlink: 1,
        }))
    }

    fn purge(&self, sha256: &str) -> Result<bool> {
        if !valid_hex(sha256) {
            return Ok(false);
        }
        let key = self.shared.object_key(sha256);
        if self.shared.head(key.clone())?.is_none() {
            return Ok(false);
        }
        let Some(lock) = self.shared.locker() else {
            self.shared.delete(key)?;
            return Ok(true);
        };
        if let Some(why) = self.purge_refused(sha256)? {
            return Err(locked(&self.shared.name, &key, why));
        }
        // Every version: a plain DELETE in a versioned bucket would keep the bytes.
        let k = key.to_string();
        self.shared
            .run(async move { lock.delete_all_versions(&k).await })??;
        Ok(true)
    }

    fn purge_refused(&self, sha256: &str) -> Result<Option<String>> {
        if !valid_hex(sha256) {
            return Ok(None);
        }
        let key = self.shared.object_key(sha256);
        Ok(self
            .shared
            .object_lock(&key)?
            .and_then(|l| l.refusal(Utc::now())))
    }

    fn set_legal_hold(&self, sha256: &str, on: bool) -> Result<bool> {
        let Some(lock) = self.shared.locker() else {
            return Ok(false);
        };
        if !valid_hex(sha256) {
            return Err(StoreError::NotFound(format!("对象 {sha256}")));
        }
        let k = self.shared.object_key(sha256).to_string();
        self.shared
            .run(async move { lock.set_legal_hold(&k, on).await })??;
        Ok(true)
    }

    fn lock_state(&self, sha256: &str) -> Result<Option<ObjectLock>> {
        if !valid_hex(sha256) {
            return Ok(None);
        }
        self.shared.object_lock(&self.shared.object_key(sha256))
    }
}

fn get_range(shared: &Shared, key: Key, range: Range<u64>) -> Result<Bytes> {
    let store = shared.store.clone();
    shared
        .run(async move { store.get_range(&key, range).await })?
        .map_err(|e| store_error(&shared.name, e))
}

/// Reads an object whole, [`READ_CHUNK`] bytes a request (memory stays bounded).
struct ChunkReader {
    shared: Arc<Shared>,
    key: Key,
    size: u64,
    pos: u64,
    buf: Bytes,
}

impl Read for ChunkReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.buf.is_empty() {
            if self.pos >= self.size {
                return Ok(0);
            }
            let end = (self.pos + READ_CHUNK).min(self.size);
            self.buf = get_range(&self.shared, self.key.clone(), self.pos..end)
                .map_err(|e| io::Error::other(e.to_string()))?;
            if self.buf.is_empty() {
                return Err(io::Error::from(io::ErrorKind::UnexpectedEof));
            }
            self.pos += self.buf.len() as u64;
        }
        let n = out.len().min(self.buf.len());
        out[..n].copy_from_slice(&self.buf.split_to(n));
        Ok(n)
    }
}

struct ObjectPending {
    shared: Arc<Shared>,
    /// COMPLIANCE retention to set once the object is in place (a bucket with object lock only).
    retain_until: Option<DateTime<Utc>>,
    large_from: u64,
    part_size: usize,
    /// A small object's bytes, or the next part of a large one.
    buf: Vec<u8>,
    written: u64,
    /// XXH3-128 of everything written, to check the read-back against.
    checksum: Xxh3Default,
    /// The multipart upload of a large object, to its temporary key.
    upload: Option<Box<dyn MultipartUpload>>,
    tmp: Option<Key>,
    /// The temporary key holds the complete upload (deleted if the object is not placed).
    tmp_complete: bool,
    finished: bool,
}

impl ObjectPending {
    fn put_part(&mut self, data: Vec<u8>) -> Result<()> {
        let upload = self
            .upload
            .as_mut()
            .ok_or_else(|| StoreError::io(&self.shared.name, io::Error::other("上传未开始")))?;
        let part = upload.put_part(PutPayload::from(data));
        self.shared
            .run(part)?
            .map_err(|e| store_error(&self.shared.name, e))
    }

    fn start_upload(&mut self, key: &Key) -> Result<()> {
        let store = self.shared.store.clone();
        let k = key.clone();
        let upload = self
            .shared
            .run(async move { store.put_multipart(&k).await })?
            .map_err(|e| store_error(&self.shared.name, e))?;
        self.upload = Some(upload);
        self.tmp = Some(key.clone());
        Ok(())
    }

    fn finish_small(&mut self, key: Key) -> Result<bool> {
        let store = self.shared.store.clone();
        let body = PutPayload::from(std::mem::take(&mut self.buf));
        let k = key.clone();
        let put = self.shared.run(async move {
            store
                .put_opts(&k, body, PutOptions::from(PutMode::Create))
                .await
        })?;
        match put {
            Ok(_) => {}
            Err(object_store::Error::AlreadyExists { .. }) => return Ok(false),
            Err(e) => return Err(store_error(&self.shared.name, e)),
        }
        let (n, h) = self.shared.read_back(key.clone())?;
        if n != self.written || h != self.checksum.digest128() {
            return Err(read_back_failed(format!("{}/{key}", self.shared.name)));
        }
        Ok(true)
    }

    fn finish_large(&mut self, key: Key) -> Result<bool> {
        let rest = std::mem::take(&mut self.buf);
        if !rest.is_empty() {
            self.put_part(rest)?;
        }
        let mut upload = self
            .upload
            .take()
            .ok_or_else(|| StoreError::io(&self.shared.name, io::Error::other("上传未开始")))?;
        let done = self.shared.run(async move {
            let r = upload.complete().await;
            (upload, r)
        })?;
        if let Err(e) = done.1 {
            self.upload = Some(done.0);
            return Err(store_error(&self.shared.name, e));
        }
        self.tmp_complete = true;
        let tmp = self
            .tmp
            .clone()
            .ok_or_else(|| StoreError::io(&self.shared.name, io::Error::other("临时对象丢失")))?;
        // Checked before it is placed: a bad upload never gets a final name.
        let (n, h) = self.shared.read_back(tmp.clone())?;
        if n != self.written || h != self.checksum.digest128() {
            return Err(read_back_failed(format!("{}/{tmp}", self.shared.name)));
        }
        let store = self.shared.store.clone();
        let (t, k) = (tmp.clone(), key);
        let placed = self
            .shared
            .run(async move { store.copy_if_not_exists(&t, &k).await })?;
        let fresh = match placed {
            Ok(()) => true,
            Err(object_store::Error::AlreadyExists { .. }) => false,
            Err(e) => return Err(store_error(&self.shared.name, e)),
        };
        self.shared.delete(tmp)?;
        self.tmp_complete = false;
        Ok(fresh)
    }
}

impl Write for ObjectPending {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.finished {
            return Err(io::Error::other("object already finished"));
        }
        self.buf.extend_from_slice(data);
        self.written += data.len() as u64;
        self.checksum.update(data);
        let to_io = |e: StoreError| io::Error::other(e.to_string());
        if self.upload.is_none() && self.tmp.is_none() && self.written >= self.large_from {
            let key = {
                let n = TMP_COUNTER.fetch_add(1, Ordering::Relaxed);
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or(0);
                self.shared
                    .key(&format!("tmp/{}-{n}-{nanos:x}.part", std::process::id()))
            };
            self.start_upload(&key).map_err(to_io)?;
        }
        while self.upload.is_some() && self.buf.len() >= self.part_size {
            let rest = self.buf.split_off(self.part_size);
            let part = std::mem::replace(&mut self.buf, rest);
            self.put_part(part).map_err(to_io)?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl PendingObject for ObjectPending {
    fn written(&self) -> u64 {
        self.written
    }

    fn finish(mut self: Box<Self>, sha256: &[u8; 32]) -> Result<bool> {
        let key = self.shared.object_key(&hex::encode(sha256));
        let r = if self.tmp.is_some() {
            self.finish_large(key.clone())
        } else {
            self.finish_small(key.clone())
        };
        // On error, Drop aborts the upload or deletes the temporary key.
        if r.is_ok() {
            self.finished = true;
        }
        let fresh = r?;
        if let Some(until) = self.retain_until {
            // Right after it is in place. An object already there keeps the retention its
            // first writer gave it, unless it has none (that writer died before setting it).
            self.shared.retain(&key, until, !fresh)?;
        }
        Ok(fresh)
    }
}

impl Drop for ObjectPending {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        self.finished = true;
        if let Some(mut upload) = self.upload.take() {
            let _ = self.shared.run(async move { upload.abort().await });
        }
        if let (Some(tmp), true) = (self.tmp.take(), self.tmp_complete) {
            let _ = self.shared.delete(tmp);
        }
    }
}
