#include "sqlite_vfs.hpp"

#include <sqlite3.h>

#include <array>
#include <cstddef>
#include <cstring>
#include <mutex>

namespace reverify::sqlite::detail {
namespace {

constexpr int frame_header_size = 24;  // a WAL frame header
constexpr sqlite3_int64 wal_header_size = 32;

// One open file: the shim's part first, the underlying VFS's file after it.
struct ShimFile {
  sqlite3_file base;   // pMethods: one of `methods` below
  sqlite3_file* real;  // the underlying VFS's file, right after this struct
  bool wal;            // opened with SQLITE_OPEN_WAL
  bool has_pending;    // `pending` waits to be written at `pending_offset`
  sqlite3_int64 pending_offset;
  std::array<unsigned char, frame_header_size> pending;
  unsigned char* scratch;  // header + page, for the combined write (sqlite3_malloc64)
  sqlite3_uint64 scratch_size;
};

constexpr std::size_t real_offset =
    (sizeof(ShimFile) + alignof(std::max_align_t) - 1) / alignof(std::max_align_t) * alignof(std::max_align_t);

sqlite3_vfs shim_vfs;
sqlite3_vfs* real_vfs = nullptr;

ShimFile& shim(sqlite3_file* file) { return *reinterpret_cast<ShimFile*>(file); }
const sqlite3_io_methods& real_methods(const ShimFile& f) { return *f.real->pMethods; }

int flush(ShimFile& f) {
  if (!f.has_pending) return SQLITE_OK;
  f.has_pending = false;
  return real_methods(f).xWrite(f.real, f.pending.data(), frame_header_size, f.pending_offset);
}

int shim_close(sqlite3_file* file) {
  ShimFile& f = shim(file);
  const int flushed = flush(f);
  const int closed = real_methods(f).xClose(f.real);
  sqlite3_free(f.scratch);
  f.scratch = nullptr;
  return flushed != SQLITE_OK ? flushed : closed;
}

int shim_read(sqlite3_file* file, void* out, int amount, sqlite3_int64 offset) {
  ShimFile& f = shim(file);
  if (const int rc = flush(f); rc != SQLITE_OK) return rc;
  return real_methods(f).xRead(f.real, out, amount, offset);
}

int shim_write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  ShimFile& f = shim(file);
  if (f.has_pending) {
    if (amount > 0 && offset == f.pending_offset + frame_header_size) {
      const auto total = static_cast<sqlite3_uint64>(frame_header_size) + static_cast<sqlite3_uint64>(amount);
      if (f.scratch_size < total) {
        sqlite3_free(f.scratch);
        f.scratch = static_cast<unsigned char*>(sqlite3_malloc64(total));
        f.scratch_size = f.scratch != nullptr ? total : 0;
      }
      if (f.scratch != nullptr) {
        std::memcpy(f.scratch, f.pending.data(), frame_header_size);
        std::memcpy(f.scratch + frame_header_size, data, static_cast<std::size_t>(amount));
        f.has_pending = false;
        return real_methods(f).xWrite(f.real, f.scratch, frame_header_size + amount, f.pending_offset);
      }
    }
    if (const int rc = flush(f); rc != SQLITE_OK) return rc;
  }
  if (f.wal && amount == frame_header_size && offset >= wal_header_size) {
    std::memcpy(f.pending.data(), data, frame_header_size);
    f.pending_offset = offset;
    f.has_pending = true;
    return SQLITE_OK;
  }
  return real_methods(f).xWrite(f.real, data, amount, offset);
}

int shim_truncate(sqlite3_file* file, sqlite3_int64 size) {
  ShimFile& f = shim(file);
  if (const int rc = flush(f); rc != SQLITE_OK) return rc;
  return real_methods(f).xTruncate(f.real, size);
}

int shim_sync(sqlite3_file* file, int flags) {
  ShimFile& f = shim(file);
  if (const int rc = flush(f); rc != SQLITE_OK) return rc;
  return real_methods(f).xSync(f.real, flags);
}

int shim_file_size(sqlite3_file* file, sqlite3_int64* size) {
  ShimFile& f = shim(file);
  if (const int rc = flush(f); rc != SQLITE_OK) return rc;
  return real_methods(f).xFileSize(f.real, size);
}

int shim_lock(sqlite3_file* file, int level) {
  ShimFile& f = shim(file);
  if (const int rc = flush(f); rc != SQLITE_OK) return rc;
  return real_methods(f).xLock(f.real, level);
}

int shim_unlock(sqlite3_file* file, int level) {
  ShimFile& f = shim(file);
  if (const int rc = flush(f); rc != SQLITE_OK) return rc;
  return real_methods(f).xUnlock(f.real, level);
}

int shim_check_reserved_lock(sqlite3_file* file, int* out) {
  ShimFile& f = shim(file);
  if (const int rc = flush(f); rc != SQLITE_OK) return rc;
  return real_methods(f).xCheckReservedLock(f.real, out);
}

int shim_file_control(sqlite3_file* file, int op, void* arg) {
  ShimFile& f = shim(file);
  if (const int rc = flush(f); rc != SQLITE_OK) return rc;
  return real_methods(f).xFileControl(f.real, op, arg);
}

int shim_sector_size(sqlite3_file* file) {
  ShimFile& f = shim(file);
  return real_methods(f).xSectorSize(f.real);
}

int shim_device_characteristics(sqlite3_file* file) {
  ShimFile& f = shim(file);
  return real_methods(f).xDeviceCharacteristics(f.real);
}

int shim_shm_map(sqlite3_file* file, int page, int size, int extend, void volatile** out) {
  ShimFile& f = shim(file);
  if (const int rc = flush(f); rc != SQLITE_OK) return rc;
  return real_methods(f).xShmMap(f.real, page, size, extend, out);
}

int shim_shm_lock(sqlite3_file* file, int offset, int n, int flags) {
  ShimFile& f = shim(file);
  if (const int rc = flush(f); rc != SQLITE_OK) return rc;
  return real_methods(f).xShmLock(f.real, offset, n, flags);
}

void shim_shm_barrier(sqlite3_file* file) {
  ShimFile& f = shim(file);
  (void)flush(f);
  real_methods(f).xShmBarrier(f.real);
}

int shim_shm_unmap(sqlite3_file* file, int remove) {
  ShimFile& f = shim(file);
  if (const int rc = flush(f); rc != SQLITE_OK) return rc;
  return real_methods(f).xShmUnmap(f.real, remove);
}

int shim_fetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** out) {
  ShimFile& f = shim(file);
  if (const int rc = flush(f); rc != SQLITE_OK) return rc;
  return real_methods(f).xFetch(f.real, offset, amount, out);
}

int shim_unfetch(sqlite3_file* file, sqlite3_int64 offset, void* page) {
  ShimFile& f = shim(file);
  if (const int rc = flush(f); rc != SQLITE_OK) return rc;
  return real_methods(f).xUnfetch(f.real, offset, page);
}

// One table per io_methods version, so that the shim offers exactly what the underlying file does.
constexpr sqlite3_io_methods make_methods(int version) {
  return sqlite3_io_methods{version,
                            shim_close,
                            shim_read,
                            shim_write,
                            shim_truncate,
                            shim_sync,
                            shim_file_size,
                            shim_lock,
                            shim_unlock,
                            shim_check_reserved_lock,
                            shim_file_control,
                            shim_sector_size,
                            shim_device_characteristics,
                            version >= 2 ? shim_shm_map : nullptr,
                            version >= 2 ? shim_shm_lock : nullptr,
                            version >= 2 ? shim_shm_barrier : nullptr,
                            version >= 2 ? shim_shm_unmap : nullptr,
                            version >= 3 ? shim_fetch : nullptr,
                            version >= 3 ? shim_unfetch : nullptr};
}
const std::array<sqlite3_io_methods, 3> methods = {make_methods(1), make_methods(2), make_methods(3)};

int shim_open(sqlite3_vfs* /*vfs*/, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  auto* raw = reinterpret_cast<unsigned char*>(file);
  std::memset(raw, 0, real_offset);
  ShimFile& f = shim(file);
  f.real = reinterpret_cast<sqlite3_file*>(raw + real_offset);
  f.wal = (flags & SQLITE_OPEN_WAL) != 0;
  const int rc = real_vfs->xOpen(real_vfs, name, f.real, flags, out_flags);
  const sqlite3_io_methods* real = f.real->pMethods;
  if (real == nullptr) {
    f.base.pMethods = nullptr;
  } else {
    const int version = real->iVersion < 1 ? 1 : (real->iVersion > 3 ? 3 : real->iVersion);
    f.base.pMethods = &methods[static_cast<std::size_t>(version - 1)];
  }
  return rc;
}

int shim_delete(sqlite3_vfs* /*vfs*/, const char* name, int sync_dir) {
  return real_vfs->xDelete(real_vfs, name, sync_dir);
}
int shim_access(sqlite3_vfs* /*vfs*/, const char* name, int flags, int* out) {
  return real_vfs->xAccess(real_vfs, name, flags, out);
}
int shim_full_pathname(sqlite3_vfs* /*vfs*/, const char* name, int size, char* out) {
  return real_vfs->xFullPathname(real_vfs, name, size, out);
}
void* shim_dl_open(sqlite3_vfs* /*vfs*/, const char* name) { return real_vfs->xDlOpen(real_vfs, name); }
void shim_dl_error(sqlite3_vfs* /*vfs*/, int size, char* out) { real_vfs->xDlError(real_vfs, size, out); }
void (*shim_dl_sym(sqlite3_vfs* /*vfs*/, void* handle, const char* symbol))(void) {
  return real_vfs->xDlSym(real_vfs, handle, symbol);
}
void shim_dl_close(sqlite3_vfs* /*vfs*/, void* handle) { real_vfs->xDlClose(real_vfs, handle); }
int shim_randomness(sqlite3_vfs* /*vfs*/, int size, char* out) { return real_vfs->xRandomness(real_vfs, size, out); }
int shim_sleep(sqlite3_vfs* /*vfs*/, int microseconds) { return real_vfs->xSleep(real_vfs, microseconds); }
int shim_current_time(sqlite3_vfs* /*vfs*/, double* out) { return real_vfs->xCurrentTime(real_vfs, out); }
int shim_get_last_error(sqlite3_vfs* /*vfs*/, int size, char* out) {
  return real_vfs->xGetLastError(real_vfs, size, out);
}
int shim_current_time_int64(sqlite3_vfs* /*vfs*/, sqlite3_int64* out) {
  return real_vfs->xCurrentTimeInt64(real_vfs, out);
}
int shim_set_system_call(sqlite3_vfs* /*vfs*/, const char* name, sqlite3_syscall_ptr call) {
  return real_vfs->xSetSystemCall(real_vfs, name, call);
}
sqlite3_syscall_ptr shim_get_system_call(sqlite3_vfs* /*vfs*/, const char* name) {
  return real_vfs->xGetSystemCall(real_vfs, name);
}
const char* shim_next_system_call(sqlite3_vfs* /*vfs*/, const char* name) {
  return real_vfs->xNextSystemCall(real_vfs, name);
}

const char* register_shim() {
  real_vfs = sqlite3_vfs_find(nullptr);
  if (real_vfs == nullptr || real_vfs->szOsFile < 0) return nullptr;
  shim_vfs = sqlite3_vfs{};
  shim_vfs.iVersion = real_vfs->iVersion < 1 ? 1 : (real_vfs->iVersion > 3 ? 3 : real_vfs->iVersion);
  shim_vfs.szOsFile = static_cast<int>(real_offset) + real_vfs->szOsFile;
  shim_vfs.mxPathname = real_vfs->mxPathname;
  shim_vfs.zName = "reverify-frames";
  shim_vfs.xOpen = shim_open;
  shim_vfs.xDelete = shim_delete;
  shim_vfs.xAccess = shim_access;
  shim_vfs.xFullPathname = shim_full_pathname;
  shim_vfs.xDlOpen = real_vfs->xDlOpen != nullptr ? shim_dl_open : nullptr;
  shim_vfs.xDlError = real_vfs->xDlError != nullptr ? shim_dl_error : nullptr;
  shim_vfs.xDlSym = real_vfs->xDlSym != nullptr ? shim_dl_sym : nullptr;
  shim_vfs.xDlClose = real_vfs->xDlClose != nullptr ? shim_dl_close : nullptr;
  shim_vfs.xRandomness = shim_randomness;
  shim_vfs.xSleep = shim_sleep;
  shim_vfs.xCurrentTime = shim_current_time;
  shim_vfs.xGetLastError = real_vfs->xGetLastError != nullptr ? shim_get_last_error : nullptr;
  if (shim_vfs.iVersion >= 2) {
    shim_vfs.xCurrentTimeInt64 = real_vfs->xCurrentTimeInt64 != nullptr ? shim_current_time_int64 : nullptr;
  }
  if (shim_vfs.iVersion >= 3) {
    shim_vfs.xSetSystemCall = real_vfs->xSetSystemCall != nullptr ? shim_set_system_call : nullptr;
    shim_vfs.xGetSystemCall = real_vfs->xGetSystemCall != nullptr ? shim_get_system_call : nullptr;
    shim_vfs.xNextSystemCall = real_vfs->xNextSystemCall != nullptr ? shim_next_system_call : nullptr;
  }
  if (sqlite3_vfs_register(&shim_vfs, 0) != SQLITE_OK) return nullptr;
  return shim_vfs.zName;
}

}  // namespace

const char* frame_coalescing_vfs() {
  static std::once_flag once;
  static const char* name = nullptr;
  std::call_once(once, [] { name = register_shim(); });
  return name;
}

}  // namespace reverify::sqlite::detail
