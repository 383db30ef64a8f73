#pragma once

#include <compare>
#include <cstdint>
#include <functional>

namespace wl {

// A strong integer id: UserId and ThreadId cannot be mixed up. 0 means "none".
template <typename Tag>
class StrongId {
 public:
  constexpr StrongId() = default;
  constexpr explicit StrongId(std::int64_t value) : value_(value) {}

  constexpr std::int64_t value() const { return value_; }
  constexpr bool is_set() const { return value_ != 0; }
  constexpr auto operator<=>(const StrongId&) const = default;

 private:
  std::int64_t value_ = 0;
};

using OrgId = StrongId<struct OrgTag>;
using UserId = StrongId<struct UserTag>;
using DeviceId = StrongId<struct DeviceTag>;
using ThreadId = StrongId<struct ThreadTag>;
using PatientId = StrongId<struct PatientTag>;
using EncounterId = StrongId<struct EncounterTag>;
using RoleId = StrongId<struct RoleTag>;
using ShiftId = StrongId<struct ShiftTag>;
using AvailabilityId = StrongId<struct AvailabilityTag>;
using HeldId = StrongId<struct HeldTag>;  // A message held for an off-duty person.
// Events (messages, receipts, membership changes) share one store-wide sequence;
// a message's id is its event id.
using EventId = StrongId<struct EventTag>;

}  // namespace wl

template <typename Tag>
struct std::hash<wl::StrongId<Tag>> {
  std::size_t operator()(wl::StrongId<Tag> id) const noexcept {
    return std::hash<std::int64_t>{}(id.value());
  }
};
