//! POSIX IPC: message queues (`mq_overview(7)`), named semaphores (`sem_overview(7)`), shared memory (`shm_overview(7)`).
//!
//! # Names
//!
//! Every POSIX object is named like `/orders`: exactly one leading `/`, then 1 to 255 bytes
//! (`NAME_MAX`; 251 for semaphores, whose file is `sem.NAME`) containing no `/` and no NUL,
//! and not `.` or `..`. ipckit checks this before any syscall and reports a bad name as
//! [`ErrorKind::InvalidInput`] saying what is wrong, instead
//! of the kernel's bare `EINVAL`/`ENOENT`/`EACCES`.
//!
//! Names are always shown with their leading slash, for all three kinds (the string you pass
//! to `mq_open`, `shm_open` and `sem_open`), in errors, in [`crate::inspect`] and in
//! `ipckit ls`.
//!
//! # Lifetime
//!
//! POSIX objects outlive the processes that use them until unlinked. The handle that
//! *created* an object unlinks it when dropped, unless [`persist`](crate::Named::persist)
//! was called; handles that only opened an existing object never unlink it.

use std::ffi::CString;

use crate::{Error, ErrorKind, Result};

/// [`Named`](crate::Named) for a POSIX object type with a `name: String` and an `owner: bool`
/// field and an associated `unlink(&str)`: one implementation for queues, semaphores and
/// shared memory. `$what` names the object in the docs, `$unlink` the C call (man page
/// section 3), `$example` is the doctest of `remove`.
macro_rules! named_posix_object {
    ($ty:ident, $what:literal, $unlink:literal, $example:literal) => {
        impl crate::named::Sealed for $ty {}

        #[doc = concat!("The name is the ", $what, "'s POSIX name (`/name`); the owner is the handle that created it.")]
        impl crate::named::Named for $ty {
            fn name(&self) -> std::borrow::Cow<'_, str> {
                std::borrow::Cow::Borrowed(&self.name)
            }

            fn is_owner(&self) -> bool {
                self.owner
            }

            #[doc = concat!("Keeps the ", $what, " after this handle is dropped (until [`", stringify!($ty), "::unlink`] or reboot).")]
            fn persist(&mut self) {
                self.owner = false;
            }

            #[doc = concat!("`", $unlink, "(3)` of the ", $what, "'s name, then closes this handle.\n\n",
                "# Errors\n[`ErrorKind::NotFound`](crate::ErrorKind::NotFound) if it was already unlinked; ",
                "[`ErrorKind::PermissionDenied`](crate::ErrorKind::PermissionDenied) if the caller may not remove it.\n\n",
                "# Examples\n```\n", $example, "\n```\n\n",
                "# References\n<https://man7.org/linux/man-pages/man3/", $unlink, ".3.html>")]
            fn remove(mut self) -> crate::Result<()> {
                self.owner = false;
                $ty::unlink(&self.name)
            }
        }
    };
}

pub(crate) use named_posix_object;

pub mod mq;
pub mod sem;
pub mod shm;

/// `NAME_MAX`: the longest name after the leading slash, in bytes.
pub const NAME_MAX: usize = 255;

/// Validates a POSIX IPC name for `op` and returns it as a C string.
///
/// `max` is the longest part after the slash allowed for this kind of object.
pub(crate) fn validate_name(name: &str, op: &'static str, max: usize) -> Result<CString> {
    let bad = |why: String| Err(Error::new(ErrorKind::InvalidInput, op, name).with_detail(why));
    if name.is_empty() {
        return bad("the name is empty (a POSIX IPC name looks like \"/orders\")".into());
    }
    let Some(rest) = name.strip_prefix('/') else {
        return bad(format!(
            "a POSIX IPC name starts with one '/' (try \"/{}\")",
            name.trim_start_matches('/')
        ));
    };
    if rest.is_empty() {
        return bad("the name after '/' is empty".into());
    }
    if rest.contains('/') {
        return bad("a POSIX IPC name has no '/' after the leading one".into());
    }
    if rest == "." || rest == ".." {
        return bad("\".\" and \"..\" are not names".into());
    }
    if rest.len() > max {
        return bad(format!(
            "the name after '/' is {} bytes, longer than the maximum of {max}",
            rest.len()
        ));
    }
    CString::new(name).or_else(|_| bad("a POSIX IPC name contains no NUL byte".into()))
}

pub(crate) use crate::creation::{open_with, Creation};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_validated_with_a_reason() {
        assert!(validate_name("/ok.name-1", "mq_open", NAME_MAX).is_ok());
        for (bad, why) in [
            ("noslash", "starts with one '/'"),
            ("/", "empty"),
            ("/a/b", "no '/' after"),
            ("/..", "not names"),
            ("/a\0b", "NUL"),
        ] {
            let e = validate_name(bad, "mq_open", NAME_MAX).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad:?}");
            assert!(e.to_string().contains(why), "{bad:?}: {e}");
        }
        let long = format!("/{}", "x".repeat(256));
        let e = validate_name(&long, "mq_open", NAME_MAX).unwrap_err();
        assert!(e.to_string().contains("maximum of 255"), "{e}");
        assert!(validate_name(&format!("/{}", "x".repeat(255)), "mq_open", NAME_MAX).is_ok());
    }
}
