//! [`Named`]: what every named kernel object (FIFO path, socket path, POSIX name, System V
//! key) has in common, so that tools such as `ipckit ls`/`ipckit rm` are loops over one
//! trait rather than code per kind.

use std::borrow::Cow;

use crate::Result;

mod private {
    /// Seals [`super::Named`]: only ipckit's own types implement it.
    pub trait Sealed {}
}

pub(crate) use private::Sealed;

/// A kernel object that has a name other processes can find it by, and one owner that
/// removes it.
///
/// The process that *created* the object owns it ([`Named::is_owner`]) and removes it
/// (`unlink(2)`, `mq_unlink(3)`, `shm_unlink(3)`, `sem_unlink(3)` or `IPC_RMID`) when the
/// handle is dropped, unless told to keep it with [`Named::persist`]. A handle that opened
/// an existing object never removes it on drop; it can still [`Named::remove`] it.
///
/// This trait is sealed: only ipckit's types implement it.
pub trait Named: Sealed {
    /// The name as a person types it and `ipckit ls` prints it: a path (`/tmp/fifo`), an
    /// abstract socket name (`@name`), a POSIX name (`/queue`) or a System V key
    /// (`0x000004d2`).
    fn name(&self) -> Cow<'_, str>;

    /// Whether this handle created the object and so removes it on drop.
    fn is_owner(&self) -> bool;

    /// Keeps the object after this handle is dropped (it stops being the owner). Calling it
    /// again does nothing.
    fn persist(&mut self);

    /// Removes the object now, whoever created it, and consumes the handle.
    ///
    /// # Errors
    /// [`crate::ErrorKind::NotFound`] if it was already removed;
    /// [`crate::ErrorKind::PermissionDenied`] if the caller may not remove it; others from
    /// the syscall, naming it and the object.
    fn remove(self) -> Result<()>
    where
        Self: Sized;
}
