//! A real S3 server for tests: `moto_server` (PyPI `moto[server]`) on a free port of 127.0.0.1,
//! started per test suite and killed when the handle is dropped. moto keeps everything in
//! memory and checks no signature: it is for behaviour (conditional writes, multipart, object
//! lock), never for speed.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use crate::vault::S3Location;

/// A running `moto_server`.
#[derive(Debug)]
pub struct Moto {
    child: Child,
    port: u16,
}

/// An HTTP answer from moto: status, headers (lower-case names), body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// `moto_server -H 127.0.0.1 -p PORT`, single-threaded.
const SERVE_IN_TURN: &str = "import os, sys
from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
os.environ.setdefault('MOTO_PORT', sys.argv[1])
run_simple('127.0.0.1', int(sys.argv[1]), DomainDispatcherApplication(create_backend_app), threaded=False)
";

/// Sets up a moto that checks signatures: an IAM user allowed everything and its key (spending
/// the unauthenticated requests until a wrong signature is refused), then a bucket with object
/// lock and one object in it, created with the key. Prints the key id and secret.
const SIGNED_SETUP: &str = "import sys, boto3
ep, bucket = sys.argv[1], sys.argv[2]
iam = boto3.client('iam', endpoint_url=ep, region_name='us-east-1', aws_access_key_id='setup', aws_secret_access_key='setup')
iam.create_user(UserName='zhilu')
iam.put_user_policy(UserName='zhilu', PolicyName='all', PolicyDocument='{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}')
k = iam.create_access_key(UserName='zhilu')['AccessKey']
s3 = lambda secret: boto3.client('s3', endpoint_url=ep, region_name='us-east-1', aws_access_key_id=k['AccessKeyId'], aws_secret_access_key=secret)
for _ in range(10):
    try:
        s3('wrong').list_buckets()
    except Exception:
        break
else:
    sys.exit('moto never checked a signature')
good = s3(k['SecretAccessKey'])
good.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
good.put_object(Bucket=bucket, Key='one', Body=b'one', ChecksumAlgorithm='SHA256')
print(k['AccessKeyId'], k['SecretAccessKey'])
";

/// The server the tests of one process share while any of them runs.
static SHARED: Mutex<Weak<Moto>> = Mutex::new(Weak::new());

impl Moto {
    /// The moto server shared by the tests running now in this process, started if none is
    /// (killed when the last of them drops it). `None` when it is not installed (see [`Self::start`]).
    /// Each test uses buckets of its own.
    pub fn shared() -> Option<Arc<Moto>> {
        let mut held = SHARED.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(m) = held.upgrade() {
            return Some(m);
        }
        let m = Arc::new(Moto::start()?);
        *held = Arc::downgrade(&m);
        Some(m)
    }

    /// Starts `moto_server`, or `None` (with a notice on stderr) when it is not installed.
    ///
    /// # Panics
    /// When it is not installed and `CI=true` (CI must run these tests, not skip them), or when it
    /// does not answer within 30 s.
    pub fn start() -> Option<Moto> {
        Self::start_with(&[])
    }

    fn start_with(env: &[(&str, &str)]) -> Option<Moto> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let installed = Command::new("python3")
            .args(["-c", "import moto.server, werkzeug"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        let spawned = if installed {
            // moto_server's own entry point, but serving one request at a time: moto checks a
            // condition (If-None-Match) and then writes, which real S3 does atomically; served
            // in turn, moto does too, and the race tests test our client, not moto's threads.
            Command::new("python3")
                .args(["-c", SERVE_IN_TURN, &port.to_string()])
                .envs(env.iter().copied())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
        } else {
            Err(std::io::Error::from(std::io::ErrorKind::NotFound))
        };
        let child = match spawned {
            Ok(c) => c,
            Err(e) => {
                let msg = format!(
                    "moto (moto_server) is not installed for python3 ({e}): install it with \
                     `python3 -m pip install \"moto[server]\"`"
                );
                if std::env::var("CI").is_ok_and(|v| v == "true") {
                    panic!("{msg}; CI must run the S3 tests");
                }
                eprintln!("SKIPPED S3 tests: {msg}");
                return None;
            }
        };
        let moto = Moto { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        // Polls until it answers (it takes a second or two to start).
        while moto.request("GET", "/", &[], b"").is_err() {
            assert!(Instant::now() < deadline, "moto_server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(moto)
    }

    /// A `moto_server` of its own that checks every request's SigV4 signature, as S3 does (moto
    /// checks none by default), with a bucket `bucket` with object lock enabled holding one
    /// object, `one`. Returns it with
    /// the access key id and secret of an IAM user allowed everything; [`Self::request`]
    /// (unsigned) is refused by it. `None` when moto is not installed.
    ///
    /// # Panics
    /// When the set-up (IAM user, key, bucket; by boto3, which comes with moto) fails.
    pub fn start_checking_signatures(bucket: &str) -> Option<(Moto, String, String)> {
        // Requests before authentication starts: a few for the IAM user and its key; the set-up
        // then spends the rest until a wrongly signed request is refused.
        let moto = Moto::start_with(&[("INITIAL_NO_AUTH_ACTION_COUNT", "6")])?;
        let out = Command::new("python3")
            .args(["-c", SIGNED_SETUP, &moto.endpoint(), bucket])
            .output()
            .expect("python3");
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            out.status.success(),
            "moto signature set-up: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut it = text.split_whitespace();
        let (Some(key), Some(secret)) = (it.next(), it.next()) else {
            panic!("moto signature set-up printed no key: {text}");
        };
        Some((moto, key.to_string(), secret.to_string()))
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Creates a bucket; with `lock_days`, with object lock and a default COMPLIANCE retention of
    /// that many days (the operator's set-up for an evidence bucket).
    pub fn create_bucket(&self, bucket: &str, lock_days: Option<u32>) {
        self.create_bucket_with(bucket, lock_days.is_some(), lock_days);
    }

    /// Creates a bucket with object lock enabled but no default retention: only the retention
    /// the vault sets on each object locks it.
    pub fn create_lock_bucket_without_default(&self, bucket: &str) {
        self.create_bucket_with(bucket, true, None);
    }

    fn create_bucket_with(&self, bucket: &str, object_lock: bool, lock_days: Option<u32>) {
        let mut headers = Vec::new();
        if object_lock {
            headers.push(("x-amz-bucket-object-lock-enabled", "true"));
        }
        let a = self
            .request("PUT", &format!("/{bucket}"), &headers, b"")
            .expect("create bucket");
        assert_eq!(
            a.status,
            200,
            "create bucket: {}",
            String::from_utf8_lossy(&a.body)
        );
        if let Some(days) = lock_days {
            let body = format!(
                "<ObjectLockConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
                 <ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention>\
                 <Mode>COMPLIANCE</Mode><Days>{days}</Days></DefaultRetention></Rule>\
                 </ObjectLockConfiguration>"
            );
            let a = self
                .request(
                    "PUT",
                    &format!("/{bucket}?object-lock"),
                    &[],
                    body.as_bytes(),
                )
                .expect("object lock");
            assert_eq!(
                a.status,
                200,
                "object lock: {}",
                String::from_utf8_lossy(&a.body)
            );
        }
    }

    /// Where a root in `bucket` under `prefix` lives (moto takes any credentials).
    pub fn location(&self, bucket: &str, prefix: &str) -> S3Location {
        S3Location {
            bucket: bucket.into(),
            prefix: prefix.into(),
            endpoint: Some(self.endpoint()),
            region: "us-east-1".into(),
            allow_http: true,
            access_key_id: "testing".into(),
            secret_access_key: "testing".into(),
            session_token: None,
        }
    }

    /// One plain HTTP/1.1 request to moto (unsigned: moto does not check), for what our root
    /// deliberately cannot do: create buckets, tamper with or delete objects behind its back.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> std::io::Result<Answer> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port))?;
        s.set_read_timeout(Some(Duration::from_secs(30)))?;
        // Signed by nobody (moto does not check), but not anonymous: moto refuses anonymous
        // writes as S3 does.
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\
             Authorization: AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request, \
             SignedHeaders=host, Signature=00\r\n\
             Content-Length: {}\r\n",
            self.port,
            body.len()
        );
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        s.write_all(head.as_bytes())?;
        s.write_all(body)?;
        let mut raw = Vec::new();
        s.read_to_end(&mut raw)?;
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .ok_or_else(|| std::io::Error::other("no HTTP head"))?;
        let text = String::from_utf8_lossy(&raw[..split]).to_string();
        let mut lines = text.split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| std::io::Error::other("no HTTP status"))?;
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect::<Vec<_>>();
        let mut body = raw[split + 4..].to_vec();
        if headers
            .iter()
            .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"))
        {
            body = unchunk(&body);
        }
        Ok(Answer {
            status,
            headers,
            body,
        })
    }
}

fn unchunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = b.windows(2).position(|w| w == b"\r\n") {
        let n = usize::from_str_radix(String::from_utf8_lossy(&b[..eol]).trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        let start = eol + 2;
        out.extend_from_slice(&b[start..(start + n).min(b.len())]);
        b = &b[(start + n + 2).min(b.len())..];
    }
    out
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
