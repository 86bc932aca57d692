#include "reverify/legacy/verify_time_estimate.hpp"

#include <algorithm>
#include <mutex>
#include <vector>

#include "reverify/result.hpp"

namespace reverify::legacy {

struct VerifyTimeEstimate::Impl {
  Impl(Duration lo, Duration hi, std::size_t window) : floor(lo), ceiling(hi), ring(window), scratch(window) {}

  const Duration floor;
  const Duration ceiling;
  mutable std::mutex mutex;
  std::vector<Duration> ring;             // the last `held` samples; `next` is overwritten next
  mutable std::vector<Duration> scratch;  // sized once, so target() never allocates
  std::size_t held = 0;
  std::size_t next = 0;
  std::uint64_t recorded = 0;
};

VerifyTimeEstimate::VerifyTimeEstimate(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
VerifyTimeEstimate::~VerifyTimeEstimate() = default;

Result<std::shared_ptr<VerifyTimeEstimate>> VerifyTimeEstimate::create(Duration floor, Duration ceiling,
                                                                       std::size_t window) {
  if (floor <= Duration::zero()) return fail(Errc::invalid_configuration, "VerifyTimeEstimate: floor must be positive");
  if (ceiling < floor) return fail(Errc::invalid_configuration, "VerifyTimeEstimate: ceiling below floor");
  if (window == 0 || window > 1024)
    return fail(Errc::invalid_configuration, "VerifyTimeEstimate: window outside 1..1024");
  return std::make_shared<VerifyTimeEstimate>(std::make_unique<Impl>(floor, ceiling, window));
}

void VerifyTimeEstimate::record(Duration sample) noexcept {
  if (sample < Duration::zero()) return;
  const std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->ring[impl_->next] = sample;
  impl_->next = (impl_->next + 1) % impl_->ring.size();
  impl_->held = std::min(impl_->held + 1, impl_->ring.size());
  ++impl_->recorded;
}

VerifyTimeEstimate::Duration VerifyTimeEstimate::target() const noexcept {
  const std::lock_guard<std::mutex> lock(impl_->mutex);
  if (impl_->held == 0) return impl_->floor;
  // The ring's first `held` slots are exactly the held samples (it fills from slot 0).
  const auto first = impl_->ring.begin();
  const auto last = first + static_cast<std::ptrdiff_t>(impl_->held);
  const auto out = std::copy(first, last, impl_->scratch.begin());
  const auto middle = impl_->scratch.begin() + static_cast<std::ptrdiff_t>((impl_->held - 1) / 2);
  std::nth_element(impl_->scratch.begin(), middle, out);
  return std::clamp(*middle, impl_->floor, impl_->ceiling);
}

VerifyTimeEstimate::Duration VerifyTimeEstimate::floor() const noexcept { return impl_->floor; }
VerifyTimeEstimate::Duration VerifyTimeEstimate::ceiling() const noexcept { return impl_->ceiling; }

std::uint64_t VerifyTimeEstimate::recorded() const noexcept {
  const std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->recorded;
}

}  // namespace reverify::legacy
