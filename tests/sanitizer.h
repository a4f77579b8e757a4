// Whether this build runs under AddressSanitizer (scripts/test-sanitizers.sh),
// for the few tests whose measure it changes: gcc says so with
// __SANITIZE_ADDRESS__, clang with __has_feature.
#pragma once

namespace naos::testing {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kUnderAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kUnderAddressSanitizer = true;
#else
inline constexpr bool kUnderAddressSanitizer = false;
#endif
#else
inline constexpr bool kUnderAddressSanitizer = false;
#endif

}  // namespace naos::testing
