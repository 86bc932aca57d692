#pragma once
// One row of reverify_keys: the window events and the block of one key, packed so that a step
// on a key reads and writes one row.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string_view>
#include <vector>

#include "sqlite_connection.hpp"

namespace reverify::sqlite::detail {

inline constexpr std::int64_t never = std::numeric_limits<std::int64_t>::max();

[[nodiscard]] inline std::int64_t saturating_add(std::int64_t a, std::int64_t b) noexcept {
  if (b > 0 && a > never - b) return never;
  if (b < 0 && a < std::numeric_limits<std::int64_t>::min() - b) return std::numeric_limits<std::int64_t>::min();
  return a + b;
}

struct KeyState {
  std::vector<std::int64_t> events;  ///< unix ms, ascending; equal stamps each count
  std::int64_t window_ms = 0;        ///< the longest window the events were counted under
  std::optional<std::int64_t> block_until;

  [[nodiscard]] bool empty() const noexcept { return events.empty() && !block_until; }
  [[nodiscard]] bool blocked_at(std::int64_t now_ms) const noexcept { return block_until && now_ms < *block_until; }

  /// The first instant something in the row can be purged: its oldest event leaves the window,
  /// or its block ends.
  [[nodiscard]] std::int64_t purge_at() const noexcept {
    std::int64_t at = events.empty() ? never : saturating_add(events.front(), window_ms);
    if (block_until) at = std::min(at, *block_until);
    return at;
  }

  /// Forgets the events that left a `window` window at `now_ms`.
  void forget_before(std::int64_t now_ms, std::int64_t window) {
    window_ms = std::max(window_ms, window);
    events.erase(events.begin(), std::upper_bound(events.begin(), events.end(), saturating_add(now_ms, -window)));
  }
  void add(std::int64_t at_ms) { events.insert(std::upper_bound(events.begin(), events.end(), at_ms), at_ms); }
  /// Removes one event stamped `at_ms`; false when there is none.
  bool remove(std::int64_t at_ms) {
    const auto event = std::lower_bound(events.begin(), events.end(), at_ms);
    if (event == events.end() || *event != at_ms) return false;
    events.erase(event);
    return true;
  }
};

/// The events as 8-byte little-endian stamps, the form stored in `events`.
[[nodiscard]] inline std::vector<unsigned char> pack_events(const std::vector<std::int64_t>& events) {
  std::vector<unsigned char> bytes(events.size() * 8);
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto value = static_cast<std::uint64_t>(events[i]);
    for (std::size_t b = 0; b < 8; ++b) bytes[i * 8 + b] = static_cast<unsigned char>(value >> (8 * b));
  }
  return bytes;
}

/// Unpacks `pack_events`; false for a blob that is not a whole number of stamps.
[[nodiscard]] inline bool unpack_events(std::string_view bytes, std::vector<std::int64_t>& events) {
  if (bytes.size() % 8 != 0) return false;
  events.resize(bytes.size() / 8);
  for (std::size_t i = 0; i < events.size(); ++i) {
    std::uint64_t value = 0;
    for (std::size_t b = 0; b < 8; ++b) {
      value |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[i * 8 + b])) << (8 * b);
    }
    events[i] = static_cast<std::int64_t>(value);
  }
  return true;
}

/// Where a key's row sorts: `near_hash` of an identifier is 64-bit FNV-1a of its bytes (a signed
/// integer, 8 bytes in a row). Keys of the manager's form "<scope>:<type>:<identifier key>" sort
/// by the hash of the identifier key (`near_of`), beside the code slots of that identifier (whose
/// `near` is near_hash(record.identifier_key)), so that one send usually writes one page of
/// reverify_keys; identifiers spread evenly over the table whatever their text. Locality only:
/// every lookup computes `near` from the key itself, so any key string works, and two
/// identifiers with one hash only share a neighbourhood.
[[nodiscard]] inline std::int64_t near_hash(std::string_view identifier) noexcept {
  std::uint64_t h = 14695981039346656037ull;
  for (const char c : identifier) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return static_cast<std::int64_t>(h);
}
/// near_hash of the identifier part of `key`: the text after its second ':' (or its first, or all).
[[nodiscard]] inline std::int64_t near_of(std::string_view key) noexcept {
  const auto first = key.find(':');
  if (first == std::string_view::npos) return near_hash(key);
  const auto second = key.find(':', first + 1);
  return near_hash(key.substr((second == std::string_view::npos ? first : second) + 1));
}

/// Binds near, key, events, window_ms, block_until, purge_at to ?1 … ?6; `key` is bound without
/// a copy, so it must outlive the statement.
inline void bind_key_state(Statement& statement, std::string_view key, const KeyState& state) {
  const std::vector<unsigned char> events = pack_events(state.events);
  static constexpr unsigned char no_events = 0;  // a null pointer would bind NULL, not an empty blob
  statement.bind(1, near_of(key))
      .bind_view(2, key)
      .bind_blob(3, events.empty() ? &no_events : events.data(), events.size())
      .bind(4, state.window_ms);
  if (state.block_until) {
    statement.bind(5, *state.block_until);
  } else {
    statement.bind_null(5);
  }
  statement.bind(6, state.purge_at());
}

}  // namespace reverify::sqlite::detail
