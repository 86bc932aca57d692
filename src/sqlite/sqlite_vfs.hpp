#pragma once
// A VFS that forwards everything to SQLite's default VFS, except that it writes a WAL frame's
// 24-byte header and its page in one write call instead of two.

namespace reverify::sqlite::detail {

/// The name of that VFS, registered (not as the default) on first use; nullptr when it could not
/// be registered, in which case connections use the default VFS.
///
/// SQLite writes each WAL frame as two adjacent writes, header then page. The wrapper holds back
/// a 24-byte write to a WAL file and, when the next call on that file is the write that
/// continues it, writes both from one buffer; any other call on the file (read, sync, truncate,
/// size, lock, close, …) first writes what it held back. A frame becomes visible to other
/// connections only through the wal-index, which SQLite updates after the page write has
/// returned, so what is on disk, and when, relative to every sync and every reader is as with the
/// default VFS.
[[nodiscard]] const char* frame_coalescing_vfs();

}  // namespace reverify::sqlite::detail
