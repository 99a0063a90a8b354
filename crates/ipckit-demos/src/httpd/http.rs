//! The HTTP/1.1 side of prefork-httpd, free of sockets: parsing a request head (httparse),
//! mapping its target to a file under the root without ever leaving it, and writing
//! response heads.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The largest request head (request line and headers) a worker buffers; a longer one is
/// answered 413 and the connection closed.
pub(crate) const MAX_HEAD: usize = 8 * 1024;
/// Headers parsed per request; more is answered 413 (the head is too large).
const MAX_HEADERS: usize = 64;

/// The status codes prefork-httpd sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Ok,
    BadRequest,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    PayloadTooLarge,
    VersionNotSupported,
}

impl Status {
    /// The code and reason phrase.
    pub(crate) fn line(self) -> (u16, &'static str) {
        match self {
            Status::Ok => (200, "OK"),
            Status::BadRequest => (400, "Bad Request"),
            Status::Forbidden => (403, "Forbidden"),
            Status::NotFound => (404, "Not Found"),
            Status::MethodNotAllowed => (405, "Method Not Allowed"),
            Status::PayloadTooLarge => (413, "Payload Too Large"),
            Status::VersionNotSupported => (505, "HTTP Version Not Supported"),
        }
    }

    /// Whether the connection cannot carry another request after this answer (the framing
    /// of what follows cannot be trusted).
    pub(crate) fn closes(self) -> bool {
        matches!(
            self,
            Status::BadRequest | Status::PayloadTooLarge | Status::VersionNotSupported
        )
    }
}

/// The two methods served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Head,
}

/// A complete, well-formed request head.
#[derive(Debug)]
pub(crate) struct Request {
    /// `GET` or `HEAD`; any other method is `Err(Status::MethodNotAllowed)` in [`Parsed`].
    pub(crate) method: Method,
    /// The request target as sent (`/a%20b?x`).
    pub(crate) target: String,
    /// Whether the client asked to keep the connection (HTTP/1.1 unless `Connection:
    /// close`; HTTP/1.0 only with `Connection: keep-alive`).
    pub(crate) keep_alive: bool,
    /// HTTP/1.0 (answers carry `Connection: keep-alive` when kept).
    pub(crate) http10: bool,
}

/// What a buffer holds.
#[derive(Debug)]
pub(crate) enum Parsed {
    /// Not a complete head yet.
    Partial,
    /// A head of `len` bytes: the request, or the error to answer it with. `has_body`:
    /// the request announced a body (the connection closes after the answer rather than
    /// skip it); `head_method`: it was a `HEAD` (error answers carry no body either).
    Complete {
        len: usize,
        request: Result<Request, Status>,
        has_body: bool,
        head_method: bool,
    },
    /// A broken head: answer with this status and close.
    Broken(Status),
}

/// Parses the request head at the start of `buf`.
pub(crate) fn parse(buf: &[u8]) -> Parsed {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let len = match req.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) if buf.len() >= MAX_HEAD => {
            return Parsed::Broken(Status::PayloadTooLarge)
        }
        Ok(httparse::Status::Partial) => return Parsed::Partial,
        Err(httparse::Error::Version) => return Parsed::Broken(Status::VersionNotSupported),
        Err(httparse::Error::TooManyHeaders) => return Parsed::Broken(Status::PayloadTooLarge),
        Err(_) => return Parsed::Broken(Status::BadRequest),
    };
    if len > MAX_HEAD {
        return Parsed::Broken(Status::PayloadTooLarge);
    }
    let http10 = req.version == Some(0);
    let mut keep_alive = !http10;
    let mut host = false;
    let mut has_body = false;
    for h in req.headers.iter() {
        if h.name.eq_ignore_ascii_case("connection") {
            for token in h.value.split(|&b| b == b',') {
                let token = token.trim_ascii();
                if token.eq_ignore_ascii_case(b"close") {
                    keep_alive = false;
                } else if token.eq_ignore_ascii_case(b"keep-alive") && http10 {
                    keep_alive = true;
                }
            }
        } else if h.name.eq_ignore_ascii_case("host") {
            host = true;
        } else if h.name.eq_ignore_ascii_case("transfer-encoding")
            || (h.name.eq_ignore_ascii_case("content-length") && h.value.trim_ascii() != b"0")
        {
            has_body = true;
        }
    }
    let method = req.method.unwrap_or("");
    let head_method = method == "HEAD";
    let request = if !http10 && !host {
        Err(Status::BadRequest)
    } else {
        match method {
            "GET" => Ok(Method::Get),
            "HEAD" => Ok(Method::Head),
            _ => Err(Status::MethodNotAllowed),
        }
        .map(|method| Request {
            method,
            target: req.path.unwrap_or("").to_string(),
            keep_alive,
            http10,
        })
    };
    Parsed::Complete {
        len,
        request,
        has_body,
        head_method,
    }
}

/// The path part of a target (before `?` or `#`) and its query (after `?`, if any).
pub(crate) fn split_target(target: &str) -> (&str, Option<&str>) {
    let end = target.find('#').unwrap_or(target.len());
    let target = &target[..end];
    match target.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (target, None),
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// `%XX` decoding; `None` for a bad escape or a decoded NUL.
pub(crate) fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hi = hex(*b.get(i + 1)?)?;
            let lo = hex(*b.get(i + 2)?)?;
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    (!out.contains(&0)).then_some(out)
}

/// A file [`resolve`] found: its path, and, when it was found by `lstat` without a
/// canonicalization, the `(st_dev, st_ino)` the opened file must still have (so that a
/// component swapped for a symlink between the check and the `open` is refused).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Resolved {
    pub(crate) path: PathBuf,
    pub(crate) identity: Option<(u64, u64)>,
}

/// The file under `root` (canonical) that the path part of a target names: percent-decoded,
/// `.` and empty segments dropped, `..` applied (403 if it would climb above the root). A
/// path without symlinks below the root is checked with one `lstat` per component (the
/// root itself was canonicalized at start); any symlink on the way sends the path through
/// `realpath` (canonicalize, symlinks resolved), which must stay under `root` (403
/// otherwise). A directory gives its `index.html` (403 without one: no listings).
///
/// # Errors
/// 400 (not an origin-form path, bad escape, NUL), 403 (escape, permission, directory
/// without index), 404 (missing).
pub(crate) fn resolve(root: &Path, path: &str) -> Result<Resolved, Status> {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    if !path.starts_with('/') {
        return Err(Status::BadRequest);
    }
    let decoded = percent_decode(path).ok_or(Status::BadRequest)?;
    let mut segments: Vec<&[u8]> = Vec::new();
    for seg in decoded.split(|&b| b == b'/') {
        match seg {
            b"" | b"." => {}
            b".." => {
                if segments.pop().is_none() {
                    return Err(Status::Forbidden);
                }
            }
            s => segments.push(s),
        }
    }
    let mut full = root.to_path_buf();
    for s in &segments {
        full.push(OsStr::from_bytes(s));
    }
    if let Some(found) = without_symlinks(root, &segments) {
        return found;
    }
    let canon = canonical_under(root, &full)?;
    if canon.is_dir() {
        return canonical_under(root, &canon.join("index.html"))
            .map(|path| Resolved {
                path,
                identity: None,
            })
            .map_err(|e| match e {
                Status::NotFound => Status::Forbidden,
                e => e,
            });
    }
    Ok(Resolved {
        path: canon,
        identity: None,
    })
}

fn io_status(e: &std::io::Error) -> Status {
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => Status::Forbidden,
        _ => Status::NotFound,
    }
}

/// The fast path of [`resolve`]: `lstat` of each component below `root`; `None` as soon as
/// one is a symlink (the caller canonicalizes instead).
fn without_symlinks(root: &Path, segments: &[&[u8]]) -> Option<Result<Resolved, Status>> {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::MetadataExt;
    let mut p = root.to_path_buf();
    let mut last = None;
    for s in segments {
        p.push(OsStr::from_bytes(s));
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => return None,
            Ok(m) => last = Some(m),
            Err(e) => return Some(Err(io_status(&e))),
        }
    }
    let is_dir = last.as_ref().is_none_or(|m| m.is_dir());
    let m = if is_dir {
        p.push("index.html");
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => return None,
            Ok(m) if m.is_dir() => return Some(Err(Status::Forbidden)),
            Ok(m) => m,
            Err(e) => {
                return Some(Err(match io_status(&e) {
                    Status::NotFound => Status::Forbidden,
                    s => s,
                }))
            }
        }
    } else {
        last.expect("not a directory, so a component")
    };
    Some(Ok(Resolved {
        path: p,
        identity: Some((m.dev(), m.ino())),
    }))
}

fn canonical_under(root: &Path, p: &Path) -> Result<PathBuf, Status> {
    let canon = std::fs::canonicalize(p).map_err(|e| io_status(&e))?;
    if canon.starts_with(root) {
        Ok(canon)
    } else {
        Err(Status::Forbidden)
    }
}

/// `Content-Type` by file extension (`application/octet-stream` when unknown).
pub(crate) fn content_type(path: &Path) -> &'static str {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    match ext.to_ascii_lowercase().as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css",
        "js" | "mjs" => "text/javascript",
        "json" => "application/json",
        "txt" | "md" => "text/plain; charset=utf-8",
        "xml" => "application/xml",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "ico" => "image/x-icon",
        "webp" => "image/webp",
        "pdf" => "application/pdf",
        "wasm" => "application/wasm",
        _ => "application/octet-stream",
    }
}

/// The `Date` header's value, formatted once per second.
#[derive(Debug, Default)]
pub(crate) struct DateCache {
    secs: u64,
    text: String,
}

impl DateCache {
    /// Now as an IMF-fixdate (`Thu, 03 Dec 2026 10:24:49 GMT`).
    pub(crate) fn now(&mut self) -> &str {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        if secs != self.secs || self.text.is_empty() {
            self.secs = secs;
            self.text = http_date(secs);
        }
        &self.text
    }
}

/// `secs` since the epoch as an IMF-fixdate (RFC 9110 §5.6.7), by the `httpdate` crate.
pub(crate) fn http_date(secs: u64) -> String {
    httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(secs))
}

/// How a response ends its connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Persist {
    /// Kept, HTTP/1.1 (persistence is the default, no header).
    Keep,
    /// Kept, HTTP/1.0 (`Connection: keep-alive`).
    Keep10,
    /// Closed after this response (`Connection: close`).
    Close,
}

/// Appends a response head to `out`.
pub(crate) fn write_head(
    out: &mut Vec<u8>,
    status: Status,
    content_type: &str,
    content_length: u64,
    persist: Persist,
    date: &str,
) {
    let (code, reason) = status.line();
    let mut s = String::with_capacity(160);
    let _ = write!(
        s,
        "HTTP/1.1 {code} {reason}\r\nServer: prefork-httpd\r\nDate: {date}\r\n\
         Content-Type: {content_type}\r\nContent-Length: {content_length}\r\n"
    );
    if status == Status::MethodNotAllowed {
        s.push_str("Allow: GET, HEAD\r\n");
    }
    match persist {
        Persist::Keep => {}
        Persist::Keep10 => s.push_str("Connection: keep-alive\r\n"),
        Persist::Close => s.push_str("Connection: close\r\n"),
    }
    s.push_str("\r\n");
    out.extend_from_slice(s.as_bytes());
}

/// The small HTML body of an error answer.
pub(crate) fn error_body(status: Status) -> String {
    let (code, reason) = status.line();
    format!("<!DOCTYPE html>\n<html><head><title>{code} {reason}</title></head><body><h1>{code} {reason}</h1></body></html>\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(http_date(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(http_date(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT");
    }

    #[test]
    fn decoding() {
        assert_eq!(percent_decode("/a%20b").unwrap(), b"/a b");
        assert_eq!(percent_decode("/%2e%2E/").unwrap(), b"/../");
        assert!(percent_decode("/%2").is_none());
        assert!(percent_decode("/%zz").is_none());
        assert!(percent_decode("/a%00").is_none());
    }

    #[test]
    fn parsing() {
        match parse(b"GET /x HTTP/1.1\r\nHost: h\r\n\r\nrest") {
            Parsed::Complete { len, request, .. } => {
                assert_eq!(len, 28);
                let r = request.unwrap();
                assert!(r.keep_alive && r.method == Method::Get && r.target == "/x");
            }
            p => panic!("{p:?}"),
        }
        assert!(matches!(parse(b"GET / HTTP/1.1\r\nHo"), Parsed::Partial));
        assert!(matches!(
            parse(b"GET / HTTP/2.0\r\n\r\n"),
            Parsed::Broken(Status::VersionNotSupported)
        ));
        assert!(matches!(
            parse(b"G\x01T / HTTP/1.1\r\n\r\n"),
            Parsed::Broken(Status::BadRequest)
        ));
        match parse(b"GET / HTTP/1.0\r\n\r\n") {
            Parsed::Complete { request, .. } => assert!(!request.unwrap().keep_alive),
            p => panic!("{p:?}"),
        }
        match parse(b"DELETE / HTTP/1.1\r\nHost: h\r\n\r\n") {
            Parsed::Complete { request, .. } => {
                assert_eq!(request.unwrap_err(), Status::MethodNotAllowed)
            }
            p => panic!("{p:?}"),
        }
    }

    #[test]
    fn targets() {
        assert_eq!(split_target("/a?json"), ("/a", Some("json")));
        assert_eq!(split_target("/a#f"), ("/a", None));
        let root = std::fs::canonicalize(std::env::temp_dir()).unwrap();
        assert_eq!(resolve(&root, "/../etc/passwd"), Err(Status::Forbidden));
        assert_eq!(resolve(&root, "/").map(|r| r.path), Err(Status::Forbidden)); // no index.html
        assert_eq!(resolve(&root, "/%2e%2e/etc"), Err(Status::Forbidden));
        assert_eq!(resolve(&root, "x"), Err(Status::BadRequest));
        assert_eq!(
            resolve(&root, "/no-such-file-here-ipckit"),
            Err(Status::NotFound)
        );
    }
}
