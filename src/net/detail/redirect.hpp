#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

// What the server answers plain HTTP with: a redirect to https, and nothing else
// (docs/transport.md, "Plain HTTP"). Pure functions; any thread.
namespace wl::net::detail {

// The Location of the redirect for a request with this Host header value and target, to
// `https_port` (the server's TLS port, whatever port the request came in on):
// "https://HOST:PORT/TARGET".
//
// HOST: when `configured_hosts` (serve --hostname) is not empty, one of them: the
// request's host if it is one of them (compared case-insensitively), else the first;
// otherwise the request's host itself, lower-cased. Either way the Host header must be
// valid: a DNS name (letters, digits and hyphens in dot-separated labels of at most 63,
// 253 in all), an IPv4 address, or an IPv6 address in brackets, then an optional port
// (1-65535). Returns nullopt for an invalid Host header, or a missing one (empty) when
// no host is configured: the caller answers 400. Nothing of the request reaches the
// Location unvalidated.
//
// TARGET: the request's target when it is in origin form ("/" then only unreserved,
// sub-delims, ":", "@", "/", "?" and "%" characters), else "/".
std::optional<std::string> https_location(std::string_view host_header, std::string_view target,
                                          std::span<const std::string> configured_hosts,
                                          std::uint16_t https_port);

}  // namespace wl::net::detail
